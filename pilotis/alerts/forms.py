"""The form of an alert rule: any registered indicator, what it is narrowed to, the threshold
typed in the unit as displayed (40 for 40 %), when and to whom it is told."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.alerts.models import AlertRule
from pilotis.metrics import registry
from pilotis.metrics.display import threshold_input
from pilotis.tenants.models import Tenant

UNIT_NAMES: dict[str, str | Promise] = {
    "count": _("number"),
    "days": _("days"),
    "years": _("years"),
    "ratio": "%",
    "share": "%",
    "percent": "%",
    "euros": "€",
    "euros_per_inhabitant": _("€ per inhabitant"),
    "fte": _("full-time equivalents"),
}


def unit_name(unit: str) -> str:
    return str(UNIT_NAMES.get(unit, unit))


def shown_scale(unit: str) -> int:
    """What the stored threshold is multiplied by to be shown (100 for a ratio)."""
    return 100 if threshold_input(100, unit) == 1 else 1


def metric_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for metric in registry.all_metrics():
        label = f"{metric.label} ({unit_name(metric.unit)})"
        groups.setdefault(metric.domain, []).append((metric.slug, label))
    return sorted(groups.items())


def parse_filters(text: str) -> dict[str, list[str]]:
    """`channel = phone, email; service = DEP-01` as {dimension: [values]}."""
    filters: dict[str, list[str]] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        dim, sep, values = part.partition("=")
        listed = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not dim.strip() or not listed:
            raise forms.ValidationError(
                _("“%(part)s” is not of the form dimension = value, value."),
                params={"part": part},
                code="syntax",
            )
        filters.setdefault(dim.strip(), []).extend(listed)
    return filters


def filters_text(filters: dict[str, list[str]]) -> str:
    return "; ".join(f"{dim} = {', '.join(values)}" for dim, values in filters.items())


class RuleForm(forms.ModelForm):
    """A rule of `tenant`; recipients are chosen among its members."""

    metric = forms.ChoiceField(label=_("Indicator"))
    filters_text = forms.CharField(
        label=_("Other filters"),
        required=False,
        help_text=_("Optional, e.g. “channel = phone, email; category = VOIRIE”."),
    )
    threshold_shown = forms.FloatField(
        label=_("Threshold"),
        help_text=_("In the indicator's unit as displayed: 10 for 10 days, 40 for 40 %."),
    )

    field_order = [
        "name",
        "metric",
        "dimension",
        "value",
        "filters_text",
        "comparison",
        "threshold_shown",
        "period",
        "from_month",
    ]

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "metric",
            "dimension",
            "value",
            "comparison",
            "period",
            "from_month",
            "recipients",
            "by_email",
            "in_app",
            "active",
        ]
        widgets = {"recipients": forms.CheckboxSelectMultiple}
        help_texts = {
            "dimension": _("Optional: one dimension of the indicator, e.g. “service”."),
            "value": _("The value it is narrowed to, e.g. “VOIRIE”."),
            "from_month": _(
                "Optional, 1 to 12: checked only once the figures reach the end of that month "
                "of the year (6: “at the end of June”)."
            ),
        }

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["metric"].choices = [("", "—"), *metric_choices()]  # type: ignore[attr-defined]
        members = get_user_model().objects.filter(memberships__tenant=tenant, is_active=True)
        recipients = self.fields["recipients"]
        recipients.queryset = members.distinct().order_by("email")  # type: ignore[attr-defined]
        recipients.label_from_instance = (  # type: ignore[attr-defined]
            lambda u: u.get_full_name() or u.email or u.get_username()
        )
        self.fields["from_month"].widget = forms.NumberInput(attrs={"min": 1, "max": 12})
        if self.instance.pk:
            metric = registry.METRICS.get(self.instance.metric)
            scale = shown_scale(metric.unit) if metric is not None else 1
            self.initial["threshold_shown"] = round(self.instance.threshold * scale, 6)
            self.initial["filters_text"] = filters_text(self.instance.filters or {})

    def clean_filters_text(self) -> dict[str, list[str]]:
        return parse_filters(self.cleaned_data.get("filters_text") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("by_email") and not data.get("in_app"):
            self.add_error("in_app", _("Choose the e-mail, the application or both."))
        month = data.get("from_month")
        if month is not None and not 1 <= month <= 12:
            self.add_error("from_month", _("A month is a number from 1 to 12."))
        metric = registry.METRICS.get(data.get("metric") or "")
        if metric is None:
            return data  # the choice field already said the indicator is unknown
        self._check_dimensions(metric, data)
        if data.get("threshold_shown") is not None:
            data["threshold"] = threshold_input(data["threshold_shown"], metric.unit)
        return data

    def _check_dimensions(self, metric: registry.Metric, data: dict[str, Any]) -> None:
        known = ", ".join(metric.filterable) or "—"
        dimension = (data.get("dimension") or "").strip()
        if dimension and dimension not in metric.filterable:
            self.add_error(
                "dimension",
                _("“%(metric)s” cannot be narrowed by “%(dim)s”. Possible: %(known)s.")
                % {"metric": metric.label, "dim": dimension, "known": known},
            )
        if dimension and not (data.get("value") or "").strip():
            self.add_error("value", _("Give the value of the dimension to narrow to."))
        if not dimension and (data.get("value") or "").strip():
            self.add_error("dimension", _("Give the dimension this value belongs to."))
        unknown = [d for d in data.get("filters_text") or {} if d not in metric.filterable]
        if unknown:
            self.add_error(
                "filters_text",
                _("“%(metric)s” cannot be filtered by “%(dim)s”. Possible: %(known)s.")
                % {"metric": metric.label, "dim": ", ".join(unknown), "known": known},
            )

    def save(self, commit: bool = True) -> AlertRule:
        rule = super().save(commit=False)
        before = (rule.threshold, rule.filters)
        rule.tenant = self.tenant
        rule.threshold = self.cleaned_data["threshold"]
        rule.filters = self.cleaned_data["filters_text"]
        rule.dimension, rule.value = rule.dimension.strip(), rule.value.strip()
        condition = {"metric", "dimension", "value", "comparison", "period", "from_month"}
        if condition & set(self.changed_data) or before != (rule.threshold, rule.filters):
            rule.state = AlertRule.State.UNKNOWN  # a new condition starts from scratch
        if commit:
            rule.save()
            self.save_m2m()
        return rule
