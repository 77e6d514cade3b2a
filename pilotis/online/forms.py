"""The filters of the online-services page (GET): period and procedure."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pilotis.requests.forms import DateInput


class FiltersForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)

    def __init__(self, data: Any, *, procedures: list[tuple[str, str]]) -> None:
        super().__init__(data)
        field = self.fields["procedure"]
        if isinstance(field, forms.ChoiceField):
            field.choices = [("", _("All")), *procedures]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The period must end after it starts."))
        return cleaned
