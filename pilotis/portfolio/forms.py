"""The forms of the portfolio: a project and its parts, its value marks, the what-if of the
prioritisation, the yearly budgets, the tenant's value grid."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import inlineformset_factory, modelformset_factory
from django.utils.translation import gettext_lazy as _

from pilotis.metrics.registry import all_metrics
from pilotis.portfolio.models import (
    ChangeAction,
    Milestone,
    PlanObjective,
    Project,
    ProjectYear,
    Risk,
    TargetUsage,
    YearBudget,
)
from pilotis.portfolio.value import MARKS
from pilotis.requests.forms import DateInput


class CommaList(forms.CharField):
    """A list typed as "a, b, c"."""

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]


class ProjectForm(forms.ModelForm):
    categories = CommaList(
        label=_("Categories"), required=False, help_text=_("Separated by commas.")
    )

    class Meta:
        model = Project
        fields = [
            "number",
            "title",
            "description",
            "categories",
            "status",
            "sponsor",
            "business_lead",
            "it_lead",
            "lead_service",
            "referent_elected",
            "partners",
            "objectives",
            "start",
            "end",
            "investment",
            "running_cost",
            "business_gains",
            "it_gains",
            "mandatory",
            "depends_on",
        ]
        widgets = {
            "start": DateInput(),
            "end": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "objectives": forms.CheckboxSelectMultiple,
            "depends_on": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        objectives = self.fields["objectives"]
        depends = self.fields["depends_on"]
        assert isinstance(objectives, forms.ModelMultipleChoiceField)  # noqa: S101
        assert isinstance(depends, forms.ModelMultipleChoiceField)  # noqa: S101
        objectives.queryset = PlanObjective.objects.filter(tenant=tenant)
        others = Project.objects.filter(tenant=tenant)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        depends.queryset = others

    def clean_number(self) -> str:
        number = self.cleaned_data["number"].strip()
        clash = Project.objects.filter(tenant=self.tenant, number=number)
        if self.instance.pk:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another project already has this number."))
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The project must end after it starts."))
        return cleaned


def _metric_choices() -> list[tuple[str, Any]]:
    return [("", _("No indicator"))] + [(m.slug, f"{m.label} ({m.slug})") for m in all_metrics()]


class FiltersField(forms.CharField):
    """Filters typed as "channel=web,mobile; category=voirie"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dict):
            return "; ".join(f"{k}={','.join(v)}" for k, v in value.items())
        return value

    def to_python(self, value: Any) -> dict[str, list[str]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        out: dict[str, list[str]] = {}
        for part in text.split(";"):
            if not part.strip():
                continue
            if "=" not in part:
                raise forms.ValidationError(
                    _("Write each filter as dimension=value1,value2 (for example channel=web).")
                )
            key, values = part.split("=", 1)
            out[key.strip()] = [v.strip() for v in values.split(",") if v.strip()]
        return out


class UsageForm(forms.ModelForm):
    metric = forms.ChoiceField(label=_("Indicator"), required=False, choices=_metric_choices)
    filters = FiltersField(
        label=_("Filters"),
        required=False,
        help_text=_("For example channel=web,mobile"),
    )

    class Meta:
        model = TargetUsage
        fields = [
            "sentence",
            "metric",
            "filters",
            "as_share",
            "target",
            "target_on",
            "measured_from",
        ]
        widgets = {"target_on": DateInput(), "measured_from": DateInput()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        from pilotis.metrics.registry import get

        slug, filters = cleaned.get("metric"), cleaned.get("filters") or {}
        if slug:
            unknown = set(filters) - set(get(slug).filterable)
            if unknown:
                self.add_error(
                    "filters",
                    _("This indicator cannot be filtered by: %(names)s.")
                    % {"names": ", ".join(sorted(unknown))},
                )
        elif filters or cleaned.get("target") is not None:
            self.add_error("metric", _("Choose the indicator that measures this usage."))
        return cleaned


def _formset(
    model: type, fields: list[str], widgets: dict[str, Any] | None = None, **kw: Any
) -> Any:
    return inlineformset_factory(
        Project, model, fields=fields, widgets=widgets or {}, extra=1, can_delete=True, **kw
    )


YearFormSet = _formset(ProjectYear, ["year", "cost", "staff_days"])
MilestoneFormSet = _formset(
    Milestone,
    ["title", "planned_on", "done_on"],
    {"planned_on": DateInput(), "done_on": DateInput()},
)
RiskFormSet = _formset(Risk, ["title", "likelihood", "impact", "mitigation"])
ActionFormSet = _formset(
    ChangeAction, ["kind", "title", "planned_on", "progress"], {"planned_on": DateInput()}
)
UsageFormSet = inlineformset_factory(Project, TargetUsage, form=UsageForm, extra=1, can_delete=True)

BudgetFormSet: Any = modelformset_factory(
    YearBudget, fields=["year", "budget", "staff_days"], extra=2, can_delete=True
)


class ValueForm(forms.Form):
    """One mark A–D and its reason per axis the grid asks to mark (the measured ones aside)."""

    def __init__(self, *args: Any, grid: dict[str, Any], project: Project, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.axes = [a for a in grid["axes"] if not a.get("computed")]
        for axis in self.axes:
            descriptions = axis.get("marks", {})
            self.fields[f"mark_{axis['id']}"] = forms.ChoiceField(
                label=axis["label"],
                required=False,
                choices=[("", _("Not marked yet"))]
                + [(m, f"{m} — {descriptions.get(m, '')}") for m in MARKS],
                initial=project.value_marks.get(axis["id"], ""),
                help_text=axis.get("question", ""),
            )
            self.fields[f"note_{axis['id']}"] = forms.CharField(
                label=_("Why (%(axis)s)") % {"axis": axis["label"]},
                required=False,
                max_length=500,
                initial=project.value_notes.get(axis["id"], ""),
            )

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"mark_{a['id']}"], self[f"note_{a['id']}"]) for a in self.axes]

    def marks(self) -> tuple[dict[str, str], dict[str, str]]:
        marks, notes = {}, {}
        for axis in self.axes:
            mark = self.cleaned_data.get(f"mark_{axis['id']}")
            note = (self.cleaned_data.get(f"note_{axis['id']}") or "").strip()
            if mark:
                marks[axis["id"]] = mark
            if note:
                notes[axis["id"]] = note
        return marks, notes


class GridForm(forms.Form):
    """The tenant's grid: label, question and weight of each axis (weight 0 leaves it out)."""

    def __init__(self, *args: Any, grid: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grid = grid
        for axis in grid["axes"]:
            self.fields[f"label_{axis['id']}"] = forms.CharField(
                label=_("Name of the axis"), max_length=100, initial=axis["label"]
            )
            self.fields[f"question_{axis['id']}"] = forms.CharField(
                label=_("Question"),
                max_length=500,
                initial=axis.get("question", ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"weight_{axis['id']}"] = forms.IntegerField(
                label=_("Weight"), min_value=0, max_value=100, initial=axis["weight"]
            )

    def sections(self) -> list[tuple[dict[str, Any], list[forms.BoundField]]]:
        return [
            (a, [self[f"{k}_{a['id']}"] for k in ("label", "question", "weight")])
            for a in self.grid["axes"]
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        weights = [cleaned.get(f"weight_{a['id']}") or 0 for a in self.grid["axes"]]
        if not any(weights):
            raise forms.ValidationError(_("At least one axis needs a weight above zero."))
        return cleaned

    def new_grid(self) -> dict[str, Any]:
        axes = []
        for axis in self.grid["axes"]:
            axes.append(
                {
                    **axis,
                    "label": self.cleaned_data[f"label_{axis['id']}"],
                    "question": self.cleaned_data[f"question_{axis['id']}"],
                    "weight": self.cleaned_data[f"weight_{axis['id']}"],
                }
            )
        return {"axes": axes}


class WhatIfForm(forms.Form):
    budget_percent = forms.IntegerField(
        label=_("Change of the budget (%, e.g. 10 or -20)"),
        required=False,
        min_value=-90,
        max_value=500,
    )
    staff_percent = forms.IntegerField(
        label=_("Change of the staff-days available (%)"),
        required=False,
        min_value=-90,
        max_value=500,
    )
    force = forms.MultipleChoiceField(
        label=_("Projects to keep whatever happens"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude = forms.MultipleChoiceField(
        label=_("Projects to leave out"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, projects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("force", "exclude"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101
            field.choices = projects
        for name in ("force", "exclude"):
            self.fields[name].widget.attrs["class"] = "checkbox-columns"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        both = set(cleaned.get("force") or ()) & set(cleaned.get("exclude") or ())
        if both:
            raise forms.ValidationError(
                _("A project cannot be both kept whatever happens and left out.")
            )
        return cleaned
