"""Login, logout and password reset pages (Django's views, our templates and throttling)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse_lazy

from pilotis.accounts.forms import ThrottledAuthenticationForm
from pilotis.audit.log import record
from pilotis.audit.models import AuditEvent


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        return context

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        if form.has_error("__all__", "throttled"):
            record(
                AuditEvent.Action.LOGIN_BLOCKED,
                username=form.data.get("username", ""),
                request=self.request,
            )
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        record(
            AuditEvent.Action.PASSWORD_RESET,
            username=form.cleaned_data.get("email", ""),
            request=self.request,
        )
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


def logout(request: HttpRequest) -> HttpResponseBase:
    """Log out; an OpenID session is also closed at the provider (ProConnect needs it)."""
    if settings.OIDC_ENABLED and request.session.get("oidc_id_token"):
        from pilotis.accounts.oidc import provider_logout

        return provider_logout(request)
    return auth_views.LogoutView.as_view(next_page=settings.LOGOUT_REDIRECT_URL)(request)
