from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pilotis.shell.models import AccessibilityStatement
from pilotis.shell.theming import validate_brand_colour
from pilotis.tenants.models import Tenant
from pilotis.tenants.roles import Role

LOGO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG; no SVG (it can hold scripts)
MAX_LOGO_BYTES = 512 * 1024


class IdentityForm(forms.ModelForm):
    class Meta:
        model = Tenant
        fields = ["primary_color", "logo", "shares_with_parent"]
        widgets = {"primary_color": forms.TextInput(attrs={"type": "color"})}
        help_texts = {
            "primary_color": _(
                "Used for the menu and the buttons, with white text: it must be dark enough."
            ),
            "logo": _("PNG or JPEG, 512 KB at most."),
        }

    def clean_primary_color(self) -> str:
        colour: str = self.cleaned_data["primary_color"]
        validate_brand_colour(colour)
        return colour.lower()

    def clean_logo(self) -> Any:
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "read") and getattr(logo, "content_type", None) is not None:
            head = logo.read(8)
            logo.seek(0)
            if not head.startswith(LOGO_SIGNATURES):
                raise ValidationError(
                    _("The logo must be a PNG or JPEG image."), code="logo_format"
                )
            if logo.size > MAX_LOGO_BYTES:
                raise ValidationError(_("The logo must weigh 512 KB at most."), code="logo_size")
        return logo


class AddMemberForm(forms.Form):
    email = forms.EmailField(label=_("E-mail of the person"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class AccessibilityStatementForm(forms.ModelForm):
    class Meta:
        model = AccessibilityStatement
        fields = [
            "entity_name",
            "compliance",
            "audit_rate",
            "audit_date",
            "audit_by",
            "statement_date",
            "non_compliant_content",
            "multi_year_plan_url",
            "action_plan",
            "contact_email",
            "contact_url",
            "postal_address",
        ]
        widgets = {
            "audit_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "statement_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
