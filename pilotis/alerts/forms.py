from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from pilotis.alerts.models import AlertRule
from pilotis.metrics import registry
from pilotis.metrics.display import threshold_input
from pilotis.tenants.models import Tenant


def metric_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for metric in registry.all_metrics():
        unit = "%" if metric.unit == "ratio" else metric.unit
        groups.setdefault(metric.domain, []).append((metric.slug, f"{metric.label} ({unit})"))
    return sorted(groups.items())


class RuleForm(forms.ModelForm):
    """A rule; the threshold is typed as displayed (40 for 40 %)."""

    metric = forms.ChoiceField(label=_("Indicator"))
    threshold_shown = forms.FloatField(
        label=_("Threshold"), help_text=_("In the indicator's unit; 40 for 40 %.")
    )

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

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.fields["metric"].choices = [("", "—")] + metric_choices()  # type: ignore[attr-defined]
        members = get_user_model().objects.filter(memberships__tenant=tenant).distinct()
        self.fields["recipients"].queryset = members.order_by("email")  # type: ignore[attr-defined]
        self.fields["recipients"].label_from_instance = (  # type: ignore[attr-defined]
            lambda u: u.get_full_name() or u.email or u.get_username()
        )
        self.fields["from_month"].widget = forms.NumberInput(attrs={"min": 1, "max": 12})
        if self.instance.pk:
            unit = registry.METRICS.get(self.instance.metric)
            scale = 100 if unit is not None and unit.unit == "ratio" else 1
            self.initial["threshold_shown"] = round(self.instance.threshold * scale, 6)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        slug = data.get("metric")
        if not slug:
            return data
        metric = registry.METRICS.get(slug)
        if metric is None:
            self.add_error("metric", _("Unknown indicator."))
            return data
        dimension = data.get("dimension") or ""
        if dimension and dimension not in metric.filterable:
            self.add_error(
                "dimension",
                _("“%(metric)s” cannot be narrowed by “%(dim)s”. Possible: %(known)s.")
                % {
                    "metric": metric.label,
                    "dim": dimension,
                    "known": ", ".join(metric.filterable) or "—",
                },
            )
        if dimension and not data.get("value"):
            self.add_error("value", _("Give the value of the dimension to narrow to."))
        month = data.get("from_month")
        if month is not None and not 1 <= month <= 12:
            self.add_error("from_month", _("A month is a number from 1 to 12."))
        if data.get("threshold_shown") is not None:
            data["threshold"] = threshold_input(data["threshold_shown"], metric.unit)
        return data

    def save(self, commit: bool = True) -> AlertRule:
        rule = super().save(commit=False)
        rule.tenant = self.tenant
        rule.threshold = self.cleaned_data["threshold"]
        changed = {"metric", "dimension", "value", "comparison", "period", "from_month"}
        if rule.pk and changed & set(self.changed_data) or "threshold_shown" in self.changed_data:
            rule.state = AlertRule.State.UNKNOWN  # a new condition starts from scratch
        if commit:
            rule.save()
            self.save_m2m()
        return rule
