"""The forms of the parking pages: the filters (GET) and the what-if policy."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from pilotis.requests.forms import DateInput

KIND_CHOICES = [
    ("", _("Every zone")),
    ("hyper_centre", _("Hyper-centre")),
    ("centre", _("Centre")),
    ("periphery", _("Periphery")),
    ("residential", _("Residential")),
]


class FiltersForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    zone = forms.ChoiceField(label=_("Zone"), required=False)

    def __init__(self, data: Any, *, zones: list[tuple[str, str]]) -> None:
        super().__init__(data)
        field = self.fields["zone"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [("", _("All")), *zones]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The period must end after it starts."))
        return cleaned


class PolicyForm(forms.Form):
    """A policy in the words of a council: shortcuts, then one price per zone and band."""

    add_rate = forms.DecimalField(
        label=_("Change of the hourly price (€, e.g. 0.50 or -0.30)"),
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=-10,
        max_value=10,
    )
    add_rate_kind = forms.ChoiceField(
        label=_("Zones concerned"), choices=KIND_CHOICES, required=False
    )
    free_minutes = forms.IntegerField(
        label=_("Free first minutes"), required=False, min_value=0, max_value=240
    )
    free_minutes_kind = forms.ChoiceField(
        label=_("Zones concerned"), choices=KIND_CHOICES, required=False
    )
    free_from = forms.IntegerField(
        label=_("Free from (hour, e.g. 18 for free evenings)"),
        required=False,
        min_value=0,
        max_value=24,
    )
    fps = forms.DecimalField(
        label=_("Post-parking fine, FPS (€)"),
        required=False,
        max_digits=6,
        decimal_places=2,
        min_value=0,
        max_value=500,
    )
    fps_kind = forms.ChoiceField(label=_("Zones concerned"), choices=KIND_CHOICES, required=False)
    name = forms.CharField(label=_("Scenario name (to save it)"), required=False, max_length=200)

    def __init__(self, data: Any, *, bands: list[tuple[str, str, float]]) -> None:
        """`bands`: (field name, label, today's price) of each zone's band."""
        super().__init__(data)
        self.band_fields = []
        for name, label, price in bands:
            self.fields[name] = forms.DecimalField(
                label=label,
                required=False,
                max_digits=5,
                decimal_places=2,
                min_value=0,
                max_value=50,
                widget=forms.NumberInput(
                    attrs={"step": "0.05", "placeholder": number_format(price, 2, use_l10n=True)}
                ),
            )
            self.band_fields.append(name)


class AimsForm(forms.Form):
    """The optimiser's target occupancy band, income floor and price step."""

    target_low = forms.IntegerField(
        label=_("Target occupancy, from (%)"), required=False, min_value=0, max_value=100
    )
    target_high = forms.IntegerField(label=_("to (%)"), required=False, min_value=1, max_value=100)
    floor = forms.IntegerField(
        label=_("Income kept, at least (% of today)"), required=False, min_value=0, max_value=200
    )
    step = forms.ChoiceField(
        label=_("Price step (€)"),
        required=False,
        choices=[("0.10", "0,10"), ("0.05", "0,05"), ("0.25", "0,25"), ("0.50", "0,50")],
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("target_low"), cleaned.get("target_high")
        if low is not None and high is not None and high <= low:
            raise forms.ValidationError(_("The target band must end above where it starts."))
        return cleaned

    def aims(self) -> tuple[float, float, float, float]:
        """(low, high, floor, step) as shares and euros, with SFpark's defaults."""
        d = self.cleaned_data if self.is_bound and self.is_valid() else {}
        low = d.get("target_low")
        high = d.get("target_high")
        floor = d.get("floor")
        return (
            (60 if low is None else low) / 100,
            (80 if high is None else high) / 100,
            (95 if floor is None else floor) / 100,
            float(d.get("step") or "0.10"),
        )
