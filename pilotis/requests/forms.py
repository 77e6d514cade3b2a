"""The filters of the citizen-requests page (a GET form: every view of the page is a link)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

CHANNELS = [
    ("phone", _("Phone")),
    ("counter", _("Counter")),
    ("email", _("E-mail")),
    ("web", _("Web form")),
    ("mobile", _("Mobile app")),
    ("mail", _("Mail")),
    ("social", _("Social media")),
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class FiltersForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())
    commune = forms.ChoiceField(label=_("Commune"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)

    def __init__(
        self,
        data: Any,
        *,
        communes: list[tuple[str, str]],
        services: list[tuple[str, str]],
        categories: list[tuple[str, str]],
    ) -> None:
        super().__init__(data)
        every = ("", _("All"))
        choice_fields = {
            name: field
            for name, field in self.fields.items()
            if isinstance(field, forms.ChoiceField)
        }
        choice_fields["commune"].choices = [every, *communes]
        choice_fields["service"].choices = [every, *services]
        choice_fields["category"].choices = [every, *categories]
        choice_fields["channel"].choices = [every, *CHANNELS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, date) and isinstance(end, date) and end < start:
            raise forms.ValidationError(_("The period must end after it starts."))
        return cleaned
