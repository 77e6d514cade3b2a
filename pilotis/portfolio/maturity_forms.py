"""Forms of the maturity self-assessment and of the sharing between authorities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pilotis.portfolio import maturity, sharing
from pilotis.portfolio import maturity_measures as measures
from pilotis.portfolio.models import ExperienceNote, Project, Sharing
from pilotis.tenants.models import Tenant


@dataclass(frozen=True)
class Item:
    """One question of the form: its field, and what Pilotis measured for it, if anything."""

    question: maturity.Question
    field: forms.BoundField
    measured: bool
    text: str  # the measured figure, or why it could not be measured
    source: str
    rule: str


class AssessmentForm(forms.Form):
    """One radio group per question, levels 0–3. Questions Pilotis measured are shown with the
    measured level ticked and cannot be changed: their value comes from the data. The others
    start from the previous assessment's answers (`previous`), when there is one."""

    def __init__(
        self,
        *args: Any,
        measured: Mapping[str, Mapping[str, Any]],
        previous: Mapping[str, int] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.measured = measured
        for q in maturity.QUESTIONS:
            entry = measured.get(q.id)
            field = forms.TypedChoiceField(
                label=str(q.text),
                choices=[(level, str(q.levels[level])) for level in maturity.LEVELS],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose the level that describes you best.")},
            )
            if maturity.is_measured(entry):
                field.disabled = True
                field.required = False
                field.initial = entry["level"] if entry else None
            elif previous and previous.get(q.id) in maturity.LEVELS:
                field.initial = previous[q.id]
            self.fields[q.id] = field

    def answers(self) -> dict[str, int]:
        return {
            q.id: int(self.cleaned_data[q.id])
            for q in maturity.QUESTIONS
            if not maturity.is_measured(self.measured.get(q.id))
            and self.cleaned_data.get(q.id) is not None
        }

    def sections(self) -> list[tuple[maturity.Dimension, list[Item]]]:
        out = []
        for dimension in maturity.DIMENSIONS:
            items = []
            for q in maturity.questions_of(dimension.id):
                entry = self.measured.get(q.id)
                indicator = q.indicator
                items.append(
                    Item(
                        q,
                        self[q.id],
                        maturity.is_measured(entry),
                        ""
                        if entry is None or indicator is None
                        else measures.describe(dict(entry), indicator),
                        "" if indicator is None else str(indicator.source),
                        "" if indicator is None else str(indicator.rule),
                    )
                )
            out.append((dimension, items))
        return out


class SharingForm(forms.ModelForm):
    indicators = forms.MultipleChoiceField(
        label=_("Indicators shared"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Each is computed over the last 12 months on your own data only, when another "
            "authority looks at it."
        ),
    )

    class Meta:
        model = Sharing
        fields = ["maturity", "indicators", "notes", "anonymous"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        indicators = self.fields["indicators"]
        assert isinstance(indicators, forms.MultipleChoiceField)  # noqa: S101 - declared above
        indicators.choices = sharing.shareable_choices()


class NoteForm(forms.ModelForm):
    class Meta:
        model = ExperienceNote
        fields = ["title", "project", "worked", "failed", "cost"]
        localized_fields = ["cost"]  # "9 000,50" as French users type it

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any):
        super().__init__(*args, **kwargs)
        project = self.fields["project"]
        assert isinstance(project, forms.ModelChoiceField)  # noqa: S101 - a foreign key
        project.queryset = Project.objects.filter(tenant=tenant)
        project.required = False


class NoteDeleteForm(forms.Form):
    note = forms.ModelChoiceField(queryset=ExperienceNote.objects.none(), widget=forms.HiddenInput)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any):
        super().__init__(*args, **kwargs)
        note = self.fields["note"]
        assert isinstance(note, forms.ModelChoiceField)  # noqa: S101 - declared above
        note.queryset = ExperienceNote.objects.filter(tenant=tenant)
