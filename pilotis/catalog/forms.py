"""Forms of the catalog. The view passes the tenant in: a form never picks a tenant itself, and
every choice of a related row is limited to the tenant's own rows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from pilotis.catalog.models import AccessRequest, Dataset, ProcessingRecord, Sensitivity
from pilotis.referential.models import OrgUnit
from pilotis.tenants.models import Tenant


class _MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class SearchForm(forms.Form):
    """The catalog's search and filters, sent with GET."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("Words of the title, the description or the keywords."),
    )
    sensitivity = forms.ChoiceField(
        label=_("Sensitivity"),
        required=False,
        choices=[("", _("All"))] + list(Sensitivity.choices),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner service"),
        required=False,
        queryset=OrgUnit.objects.none(),
        empty_label=_("All services"),
    )
    open_data = forms.BooleanField(label=_("Open data only"), required=False)
    stale = forms.BooleanField(label=_("Stale datasets only"), required=False)

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)  # noqa: S101 - declared above
        owner.queryset = OrgUnit.objects.filter(tenant=tenant)


class DatasetForm(forms.ModelForm):
    class Meta:
        model = Dataset
        fields = [
            "title",
            "description",
            "owner_unit",
            "referent",
            "referent_name",
            "referent_email",
            "sensitivity",
            "processing_record",
            "open_data",
            "cada",
            "inspire",
            "frequency",
            "licence",
            "schema_name",
            "keywords",
        ]
        field_classes = {"referent": _MemberChoiceField}
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        querysets: dict[str, Any] = {
            "owner_unit": OrgUnit.objects.filter(tenant=tenant),
            "referent": get_user_model()
            .objects.filter(memberships__tenant=tenant)
            .order_by("last_name", "first_name", "username"),
            "processing_record": ProcessingRecord.objects.filter(tenant=tenant),
        }
        for name, queryset in querysets.items():
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 - foreign keys
            field.queryset = queryset
        self.fields["processing_record"].help_text = _(
            "Required for personal data: the processing this dataset belongs to in your RGPD "
            "register."
        )


class ProcessingRecordForm(forms.ModelForm):
    class Meta:
        model = ProcessingRecord
        fields = [
            "name",
            "reference",
            "controller_name",
            "controller_address",
            "controller_contact",
            "dpo_name",
            "dpo_contact",
            "purposes",
            "legal_basis",
            "legal_basis_detail",
            "security_measures",
            "data_categories",
            "sensitive_data",
            "sensitive_data_detail",
            "retention",
            "data_subjects",
            "recipients",
            "transfers_outside_eu",
            "transfer_safeguards",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ("controller_address", "legal_basis_detail", "sensitive_data_detail")
        }


class AccessRequestForm(forms.ModelForm):
    class Meta:
        model = AccessRequest
        fields = ["reason"]
        labels = {"reason": _("Why do you need this data?")}
        help_texts = {
            "reason": _("Say what you will do with it: the referent decides from your answer.")
        }
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}


class DecisionForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))], widget=forms.HiddenInput
    )
    comment = forms.CharField(
        label=_("Comment for the requester"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
