from django.contrib import admin

from pilotis.catalog.models import (
    AccessRequest,
    Dataset,
    LineageLink,
    ProcessingRecord,
    QualityCheck,
)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["title", "tenant", "kind", "name", "sensitivity", "frequency", "quality_status"]
    list_filter = ["kind", "sensitivity", "frequency", "open_data", "quality_status"]
    search_fields = ["title", "name", "description", "keywords", "tenant__name", "tenant__code"]
    raw_id_fields = ["tenant", "owner_unit", "referent", "processing_record"]
    readonly_fields = ["last_loaded_at", "quality_status", "quality_checked_at"]


@admin.register(QualityCheck)
class QualityCheckAdmin(admin.ModelAdmin):
    list_display = ["dataset", "name", "passed", "value", "at", "load_id"]
    list_filter = ["name", "passed"]
    search_fields = ["dataset__title", "dataset__name", "load_id"]
    raw_id_fields = ["dataset"]
    date_hierarchy = "at"


@admin.register(ProcessingRecord)
class ProcessingRecordAdmin(admin.ModelAdmin):
    list_display = ["name", "reference", "tenant", "legal_basis", "updated_at"]
    list_filter = ["legal_basis", "sensitive_data", "transfers_outside_eu"]
    search_fields = ["name", "reference", "tenant__name", "tenant__code"]
    raw_id_fields = ["tenant"]


@admin.register(AccessRequest)
class AccessRequestAdmin(admin.ModelAdmin):
    list_display = ["dataset", "requester", "status", "created_at", "decided_by", "decided_at"]
    list_filter = ["status"]
    search_fields = ["dataset__title", "requester__username", "reason"]
    raw_id_fields = ["tenant", "dataset", "requester", "decided_by"]


@admin.register(LineageLink)
class LineageLinkAdmin(admin.ModelAdmin):
    list_display = ["tenant", "from_kind", "from_name", "to_kind", "to_name"]
    list_filter = ["from_kind", "to_kind"]
    search_fields = ["from_name", "to_name", "tenant__code"]
    raw_id_fields = ["tenant"]
