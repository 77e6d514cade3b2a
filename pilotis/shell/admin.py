from django.contrib import admin

from pilotis.shell.models import AccessibilityStatement

admin.site.register(AccessibilityStatement)
admin.site.site_header = "Pilotis"
