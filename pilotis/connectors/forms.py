from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pilotis.connectors.mapping import Mapping, MappingError
from pilotis.warehouse.schemas import canonical_tables

MAX_UPLOAD_BYTES = 2 * 1024**3


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (any separator, Windows-1252 or UTF-8), Excel, ODS, JSON or Parquet."),
    )
    table = forms.ChoiceField(label=_("Data it holds"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The citizen requests first (the most common import), then by the titles the user reads.
        self.fields["table"].choices = sorted(  # type: ignore[attr-defined]
            ((name, schema.title) for name, schema in canonical_tables().items()),
            key=lambda choice: (choice[0] != "requests", choice[1]),
        )


class MappingForm(forms.Form):
    """One column choice per field of the table, proposed by Pilotis, plus advanced YAML."""

    yaml = forms.CharField(
        label=_("Mapping (YAML, advanced)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=_("Leave as proposed, or edit: value maps, formats, constants."),
    )
    save_as = forms.SlugField(
        label=_("Save as a source named"),
        required=False,
        help_text=_("Optional: to load the next exports of this program with the same mapping."),
    )

    def __init__(self, *args: Any, columns: list[str], table: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table
        choices = [("", _("— not in this file —")), *((c, c) for c in columns)]
        for f in canonical_tables()[table].mappable_fields:
            label = f"{f.title} ({f.name})" + (" *" if f.required else "")
            self.fields[f"field_{f.name}"] = forms.ChoiceField(
                label=label, choices=choices, required=False
            )

    def mapping(self) -> Mapping:
        data = self.cleaned_data
        try:
            base = Mapping.from_yaml(data["yaml"]) if data.get("yaml") else None
        except MappingError as error:
            raise forms.ValidationError(str(error)) from error
        fields: dict[str, Any] = {}
        if base is not None:
            fields = {name: fm.to_yaml_value() for name, fm in base.fields.items()}
        for f in canonical_tables()[self.table].mappable_fields:
            column = data.get(f"field_{f.name}")
            spec = fields.get(f.name)
            if column:
                if isinstance(spec, dict):
                    spec = {**spec, "column": column}
                    spec.pop("value", None)
                else:
                    spec = column
                fields[f.name] = spec
            elif isinstance(spec, str) or (isinstance(spec, dict) and "column" in spec):
                fields.pop(f.name)  # the user cleared the column
        try:
            return Mapping.from_dict(
                {"table": self.table, "fields": fields, **({"read": base.read} if base else {})}
            )
        except MappingError as error:
            raise forms.ValidationError(str(error)) from error
