"""Admin of the Open311 server: API keys (the secret shown once, at creation), how services are
described to clients, their attributes, and the requests received (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.audit.log import record
from pilotis.open311.models import ApiKey, ServiceAttribute, ServiceInfo, Submission

RAW_KEY = "_open311_raw_key"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "prefix", "active", "created", "last_used")
    list_filter = ("active", "tenant")
    search_fields = ("name", "prefix", "tenant__name", "tenant__code")
    readonly_fields = ("prefix", "created", "last_used")
    actions = ("revoke",)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:  # the key is made on saving
            return ("tenant", "name", "active")
        return ("tenant", "name", "prefix", "active", "created", "last_used")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A key stays with its tenant: moving it would hand one tenant's access to another.
        return (*self.readonly_fields, "tenant") if obj is not None else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ApiKey, form: ModelForm, change: bool) -> None:
        if not change:
            setattr(request, RAW_KEY, obj.set_new_key())
        super().save_model(request, obj, form, change)
        if not change:
            self._audit(request, "open311.key_create", obj)
        elif "active" in form.changed_data:
            action = "open311.key_activate" if obj.active else "open311.key_revoke"
            self._audit(request, action, obj)

    def response_add(
        self, request: HttpRequest, obj: ApiKey, post_url_continue: str | None = None
    ) -> HttpResponse:
        """Show the new key once, on a page of its own (it is stored nowhere in clear, not even
        in a message cookie)."""
        raw = getattr(request, RAW_KEY, None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API key"),
            "key": obj,
            "raw_key": raw,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/open311/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def delete_model(self, request: HttpRequest, obj: ApiKey) -> None:
        self._audit(request, "open311.key_delete", obj)
        super().delete_model(request, obj)

    @admin.action(description=gettext_lazy("Revoke the selected keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(active=True):
            key.active = False
            key.save(update_fields=["active"])
            self._audit(request, "open311.key_revoke", key)
        messages.success(request, _("The selected keys are revoked."))

    @staticmethod
    def _audit(request: HttpRequest, action: str, key: ApiKey) -> None:
        record(
            action,
            actor=request.user,
            tenant=key.tenant,
            target=f"{key.name} ({key.prefix}…)",
            request=request,
        )


@admin.register(ServiceInfo)
class ServiceInfoAdmin(admin.ModelAdmin):
    list_display = ("service_code", "tenant", "keywords")
    list_filter = ("tenant",)
    search_fields = ("service_code", "description", "keywords")


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(admin.ModelAdmin):
    list_display = ("service_code", "order", "code", "datatype", "required", "variable", "tenant")
    list_filter = ("tenant", "datatype")
    search_fields = ("service_code", "code", "description")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("service_request_id", "service_code", "tenant", "api_key", "created")
    list_filter = ("tenant",)
    search_fields = ("service_request_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
