"""Forms to add, rename and delete a tenant's organisation units and themes.

The view passes the tenant's scoped rows in (`existing`): a form never picks a tenant itself.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pilotis.referential.models import OrgUnit, Theme


class _TenantRowForm(forms.ModelForm):
    """A form for a tenant-owned row: parents and codes are checked among `existing` only."""

    def __init__(self, *args: Any, existing: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.existing = existing
        if "parent" in self.fields:
            parent_field = self.fields["parent"]
            assert isinstance(parent_field, forms.ModelChoiceField)  # noqa: S101 - a FK field
            parent_field.queryset = existing

    def clean_code(self) -> str:
        code: str = self.cleaned_data["code"].strip()
        if code and self.existing.filter(code__iexact=code).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(
                _("The code “%(code)s” is already used in your organisation."),
                code="duplicate_code",
                params={"code": code},
            )
        return code


class OrgUnitForm(_TenantRowForm):
    class Meta:
        model = OrgUnit
        fields = ["name", "kind", "parent", "code"]


class ThemeForm(_TenantRowForm):
    class Meta:
        model = Theme
        fields = ["label", "code", "parent", "target_days"]


class OrgUnitRenameForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = ["name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("New name of “%(name)s”") % {"name": self.instance.name}


class ThemeRenameForm(forms.ModelForm):
    class Meta:
        model = Theme
        fields = ["label"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["label"].label = _("New label of “%(label)s”") % {"label": self.instance.label}
