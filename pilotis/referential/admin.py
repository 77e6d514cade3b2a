"""Admin: the official referential is read-only (it is loaded from the snapshot); each tenant's
organisation units and themes are editable."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pilotis.referential.models import Commune, Departement, Epci, OrgUnit, Region, Theme


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and search only: `pilotis referential update` is the one way to change it."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Departement)
class DepartementAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]


@admin.register(Epci)
class EpciAdmin(ReadOnlyAdmin):
    list_display = ["siren", "name", "kind", "population"]
    list_filter = ["kind"]
    search_fields = ["siren", "name"]


@admin.register(Commune)
class CommuneAdmin(ReadOnlyAdmin):
    list_display = ["code_insee", "name", "departement", "epci", "population"]
    list_filter = ["departement__region"]
    list_select_related = ["departement", "epci"]
    search_fields = ["code_insee", "name", "siren"]


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "parent", "tenant"]
    list_filter = ["kind", "tenant"]
    list_select_related = ["parent", "tenant"]
    search_fields = ["name", "code"]
    raw_id_fields = ["parent"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["label", "code", "parent", "target_days", "tenant"]
    list_filter = ["tenant"]
    list_select_related = ["parent", "tenant"]
    search_fields = ["label", "code"]
    raw_id_fields = ["parent"]
