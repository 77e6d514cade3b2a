"""The filters of the HR page (GET): period and service."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pilotis.requests.forms import DateInput


class FiltersForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    service = forms.ChoiceField(label=_("Service"), required=False)

    def __init__(self, data: Any, *, services: list[tuple[str, str]]) -> None:
        super().__init__(data)
        field = self.fields["service"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [("", _("All")), *services]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The period must end after it starts."))
        return cleaned
