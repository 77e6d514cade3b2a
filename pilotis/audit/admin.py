from django.contrib import admin

from pilotis.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is appended to by Pilotis, never edited by hand."""

    list_display = ("at", "username", "action", "tenant", "target", "ip_address")
    list_filter = ("action", "tenant")
    search_fields = ("username", "target")

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
