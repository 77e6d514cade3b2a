"""The form of a publication: what to publish, how to anonymise it, which schema it follows."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from pilotis.opendata.anonymise import parse_rules
from pilotis.opendata.models import Publication, SourceKind
from pilotis.warehouse.schemas import canonical_tables

RULE_LABELS = {
    "keep": _("Publish as it is"),
    "drop": _("Do not publish"),
    "hash": _("Replace by a keyed hash (stays joinable)"),
    "redact": _("Redact personal data in the text"),
    "date_day": _("Keep the day only"),
    "date_month": _("Keep the month only"),
    "coords_grid": _("Move onto a grid (metres)"),
}


def national_choices() -> list[tuple[str, Any]]:
    from pilotis.opendata import national

    seen: dict[str, Any] = {}
    for schema in national.available():
        seen.setdefault(schema.name, f"{schema.title} ({schema.name})")
    return [("", _("None"))] + sorted(seen.items(), key=lambda kv: kv[1])


class PublicationForm(forms.ModelForm):
    class Meta:
        model = Publication
        fields = [
            "title",
            "slug",
            "description",
            "keywords",
            "theme",
            "licence",
            "frequency",
            "hvd_category",
            "source_kind",
            "source_table",
            "source_file",
            "national_schema",
            "national_schema_version",
            "apply_fixes",
            "auto_republish",
            "public",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["slug"].required = False
        self.fields["slug"].help_text = _("Part of the dataset's address; from the title if empty.")
        tables = [("", "—")] + [(n, f"{s.title} ({n})") for n, s in canonical_tables().items()]
        self.fields["source_table"] = forms.ChoiceField(
            label=_("warehouse table"), choices=tables, required=False
        )
        self.fields["national_schema"] = forms.ChoiceField(
            label=_("national schema"), choices=national_choices(), required=False
        )
        # One field per column of the chosen table: its rule (and a parameter for the grid).
        self.column_fields: list[tuple[str, str, bool]] = []
        self.rule_defaults: dict[str, str] = {}
        table = self.data.get("source_table") or (self.instance.source_table or "")
        schema = canonical_tables().get(table)
        if schema is not None:
            rules = self.instance.rules or {}
            chosen = set(self.instance.columns or [f.name for f in schema.fields])
            for f in schema.fields:
                key = f"rule_{f.name}"
                current = rules.get(f.name, {})
                default = current.get("rule") or ("drop" if f.personal else "keep")
                if f.name not in chosen:
                    default = "drop"
                self.fields[key] = forms.ChoiceField(
                    label=f"{f.title or f.name} ({f.name})",
                    choices=list(RULE_LABELS.items()),
                    initial=default,
                    required=False,
                )
                self.rule_defaults[key] = default
                self.fields[f"param_{f.name}"] = forms.FloatField(
                    label=_("Grid size of %(column)s (metres)") % {"column": f.name},
                    required=False,
                    min_value=10,
                    initial=current.get("param"),
                )
                self.column_fields.append((key, f"param_{f.name}", f.personal))

    @property
    def column_rows(self) -> list[tuple[Any, Any, bool]]:
        return [(self[rule], self[param], personal) for rule, param, personal in self.column_fields]

    def clean_slug(self) -> str:
        slug = self.cleaned_data.get("slug") or slugify(self.cleaned_data.get("title", ""))
        slug = slug[:120] or "jeu"
        clash = Publication.objects.filter(tenant=self.tenant, slug=slug)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another dataset of this collectivité has this address."))
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("source_kind")
        if kind == SourceKind.TABLE and not data.get("source_table"):
            self.add_error("source_table", _("Choose the warehouse table to publish."))
        if kind == SourceKind.FILE:
            if not data.get("source_file") and not self.instance.source_file:
                self.add_error("source_file", _("Give the file to publish."))
            if not data.get("national_schema"):
                self.add_error(
                    "national_schema", _("A file is published against its national schema.")
                )
        return data

    def rules_and_columns(self) -> tuple[dict[str, Any], list[str]]:
        rules: dict[str, Any] = {}
        columns: list[str] = []
        for key, param_key, _personal in self.column_fields:
            name = key.removeprefix("rule_")
            # A column left unset (the table was just chosen) takes the safe default:
            # personal data is not published.
            rule = self.cleaned_data.get(key) or self.rule_defaults[key]
            if rule == "drop":
                continue
            columns.append(name)
            if rule != "keep":
                entry: dict[str, Any] = {"rule": rule}
                if rule == "coords_grid":
                    entry["param"] = self.cleaned_data.get(param_key) or 200
                rules[name] = entry
        parse_rules(rules)  # raises on a rule the pipeline would refuse
        return rules, columns

    def save(self, commit: bool = True) -> Publication:
        pub = super().save(commit=False)
        pub.tenant = self.tenant
        if pub.source_kind == SourceKind.TABLE:
            pub.rules, pub.columns = self.rules_and_columns()
        if commit:
            pub.save()
        return pub


class CheckFileForm(forms.Form):
    file = forms.FileField(label=_("The file to check (CSV or Excel)"))
    schema = forms.ChoiceField(label=_("national schema"), choices=[])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["schema"].choices = national_choices()[1:]  # type: ignore[attr-defined]


def pretty(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
