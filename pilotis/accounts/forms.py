from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from pilotis.accounts.throttle import is_blocked


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing an account after repeated failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": _(
            "Too many failed attempts for this account. Wait 15 minutes or reset your password."
        ),
    }

    def clean(self):  # type: ignore[no-untyped-def]
        username = self.cleaned_data.get("username") or ""
        if is_blocked(username):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        return super().clean()
