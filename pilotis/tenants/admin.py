from django.contrib import admin

from pilotis.tenants.models import Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    """Memberships are managed on the tenant's administration page, where changes are audited."""

    list_display = ("name", "code", "kind", "parent", "population")
    list_filter = ("kind",)
    search_fields = ("name", "code", "siren")
