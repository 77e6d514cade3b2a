from django import forms
from django.contrib import admin

from pilotis.connectors.mapping import Mapping, MappingError
from pilotis.connectors.models import LoadRun, Source


class SourceForm(forms.ModelForm):
    class Meta:
        model = Source
        fields = [
            "tenant",
            "name",
            "title",
            "kind",
            "config",
            "mapping",
            "schedule_minutes",
            "enabled",
            "state",
        ]
        widgets = {
            "mapping": forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "false"})
        }

    def clean_mapping(self) -> str:
        text: str = self.cleaned_data["mapping"]
        try:
            Mapping.from_yaml(text)
        except MappingError as error:
            raise forms.ValidationError(str(error)) from error
        return text


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "tenant", "kind", "schedule_minutes", "enabled")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "title", "tenant__name")


@admin.register(LoadRun)
class LoadRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "tenant",
        "table",
        "source_name",
        "status",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "version",
    )
    list_filter = ("status", "table", "kind")
    readonly_fields = [f.name for f in LoadRun._meta.fields]
