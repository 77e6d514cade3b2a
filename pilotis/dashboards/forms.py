"""The forms of the dashboard builder: a page (title, description, visibility), a panel (an
indicator from the registry and how to show it) and the import of a definition. No SQL: every
choice offered comes from the registry (indicators, their dimensions) or from the data (the
values a filter may take)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.dashboards import panels
from pilotis.dashboards.models import ChartKind, Dashboard, PeriodChoice
from pilotis.dashboards.panels import unit_label
from pilotis.metrics import registry


def metric_help(metric: registry.Metric) -> str:
    """A metric's definition, unit and source in one sentence (hover text, help text)."""
    return _("%(description)s Unit: %(unit)s. Source: %(sources)s.") % {
        "description": metric.description,
        "unit": unit_label(metric.unit),
        "sources": ", ".join(metric.source_tables) or "—",
    }


def metric_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every registered indicator, grouped by domain."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for metric in registry.all_metrics():
        groups.setdefault(metric.domain, []).append((metric.slug, str(metric.label)))
    return sorted(
        (
            (panels.domain_label(d), sorted(items, key=lambda i: i[1]))
            for d, items in groups.items()
        ),
        key=lambda g: g[0],
    )


class MetricSelect(forms.Select):
    """A select whose options carry the indicator's definition, unit and source on hover."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        metric = registry.METRICS.get(str(value))
        if metric is not None:
            option["attrs"]["title"] = metric_help(metric)
        return option


class DashboardForm(forms.ModelForm):
    class Meta:
        model = Dashboard
        fields = ["title", "description", "visibility"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "visibility": forms.RadioSelect,
        }


class PanelForm(forms.Form):
    """A panel of `metric`: its breakdown and filters are those the metric offers; the values
    of a filter are those found in the data over `period` (start, end)."""

    metric = forms.ChoiceField(label=gettext_lazy("Indicator"), widget=MetricSelect)
    chart = forms.ChoiceField(label=gettext_lazy("Shown as"))
    by = forms.ChoiceField(label=gettext_lazy("Broken down by"), required=False)
    period = forms.ChoiceField(label=gettext_lazy("Period"), choices=PeriodChoice.choices)
    start = forms.DateField(
        label=gettext_lazy("From (explicit dates)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=gettext_lazy("To (explicit dates)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    title = forms.CharField(label=gettext_lazy("Title (optional)"), required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        metric: registry.Metric,
        codes: tuple[str, ...],
        today: date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.chosen = metric
        choice_fields = {n: f for n, f in self.fields.items() if isinstance(f, forms.ChoiceField)}
        choice_fields["metric"].choices = metric_choices()
        self.fields["metric"].error_messages["invalid_choice"] = _(
            "Unknown indicator “%(value)s”: choose one of the list."
        )
        self.fields["metric"].widget.attrs["aria-describedby"] = "metric-help"
        kinds = dict(ChartKind.choices)
        choice_fields["chart"].choices = [(k, kinds[k]) for k in panels.charts_for(metric)]
        choice_fields["by"].choices = [("", _("No breakdown"))] + [
            (d, panels.dimension_label(d)) for d in metric.dimensions
        ]
        self.fields["by"].error_messages["invalid_choice"] = _(
            "“%%(value)s” is not a breakdown of this indicator. Possible: %(known)s."
        ) % {"known": ", ".join(panels.dimension_label(d) for d in metric.dimensions) or "—"}
        start, end = panels.periods.period(
            panels.registry.PeriodKind.ROLLING_YEAR, panels.anchor_for(metric, codes, today)
        )
        self.filter_fields: list[str] = []
        initial = self.initial.get("filters") or {}
        for dimension in panels.filter_dimensions(metric):
            name = f"filter_{dimension}"
            label = _("Only these values of “%(dimension)s”") % {
                "dimension": panels.dimension_label(dimension)
            }
            options = panels.filter_options(metric, dimension, codes, start, end)
            known = {value for value, _label in options}
            options += [(v, v) for v in initial.get(dimension, []) if v not in known]
            if options:
                self.fields[name] = forms.MultipleChoiceField(
                    label=label,
                    required=False,
                    choices=options,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[name] = forms.CharField(
                    label=label,
                    required=False,
                    help_text=_("Codes separated by commas."),
                )
            self.initial.setdefault(
                name,
                initial.get(dimension, []) if options else ", ".join(initial.get(dimension, [])),
            )
            self.filter_fields.append(name)

    def filter_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.filter_fields]

    def spec(self) -> panels.Spec:
        d = self.cleaned_data
        filters: dict[str, list[str]] = {}
        for name in self.filter_fields:
            value = d.get(name) or []
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if value:
                filters[name.removeprefix("filter_")] = list(value)
        return panels.Spec(
            metric=d["metric"],
            chart=d["chart"],
            period=d["period"],
            by=d.get("by") or "",
            filters=filters,
            start=d.get("start"),
            end=d.get("end"),
            title=d.get("title") or "",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors or "metric" not in cleaned:
            return cleaned
        for field, message in panels.errors_of(self.spec()).items():
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class ImportForm(forms.Form):
    definition = forms.FileField(
        label=gettext_lazy("Definition file (JSON)"),
        help_text=gettext_lazy("A file exported from a Pilotis dashboard: “Definition (JSON)”."),
    )

    MAX_BYTES = 512 * 1024

    def clean_definition(self) -> Any:
        upload = self.cleaned_data["definition"]
        if upload.size > self.MAX_BYTES:
            raise forms.ValidationError(_("The file is too large for a dashboard definition."))
        try:
            return json.loads(upload.read().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise forms.ValidationError(_("The file is not JSON.")) from None
