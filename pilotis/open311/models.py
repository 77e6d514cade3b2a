"""What the Open311 server keeps beside the warehouse: API keys, how each service is described
to Open311 clients (description, keywords, attributes), and the requests it received.

The requests themselves live in the warehouse (`requests` table), written through the connectors
pipeline; a `Submission` only remembers the token handed to the client and what the canonical
table has no column for (the attributes' answers, an `address_id`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant

KEY_PREFIX = "p311_"


def hash_key(raw: str) -> str:
    """The stored form of an API key.

    A plain SHA-256 is enough here, unlike for passwords: the keys are 256 random bits, so there
    is nothing to guess, and a fast hash lets a key be found by an indexed look-up."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_raw_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKey(models.Model):
    """A key with which one application may post requests to one tenant's Open311 server.

    Only the key's hash is stored: the key itself is shown once, when it is created."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(
        _("name"),
        max_length=120,
        help_text=_("Which application uses it, e.g. “Citizen app (supplier X)”."),
    )
    prefix = models.CharField(
        _("beginning of the key"),
        max_length=12,
        editable=False,
        help_text=_("The first characters of the key, to tell keys apart."),
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick to revoke the key: it is refused at once.")
    )

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")
        ordering = ["tenant__code", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def set_new_key(self) -> str:
        """Give the key a new secret and return it (the only time it is seen in clear)."""
        raw = new_raw_key()
        self.key_hash = hash_key(raw)
        self.prefix = raw[: len(KEY_PREFIX) + 4]
        return raw

    @classmethod
    def find(cls, tenant: Tenant, raw: str) -> ApiKey | None:
        """The active key of `tenant` whose secret is `raw`, if any."""
        if not raw:
            return None
        return cls.objects.filter(tenant=tenant, key_hash=hash_key(raw), active=True).first()


def _theme_exists(tenant_id: int, code: str) -> bool:
    from pilotis.referential.models import Theme

    return Theme.objects.filter(tenant_id=tenant_id, code=code).exists()


class ServiceInfo(models.Model):
    """How one service (a theme of the tenant) is presented to Open311 clients."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    service_code = models.CharField(
        _("service code"), max_length=50, help_text=_("The code of one of the tenant's themes.")
    )
    description = models.TextField(_("description"), blank=True)
    keywords = models.CharField(
        _("keywords"), max_length=300, blank=True, help_text=_("Separated by commas.")
    )
    service_notice = models.TextField(
        _("notice"),
        blank=True,
        help_text=_(
            "Told to whoever posts a request of this service, e.g. “Handled within 5 working days”."
        ),
    )

    class Meta:
        verbose_name = _("Open311 service description")
        verbose_name_plural = _("Open311 service descriptions")
        ordering = ["tenant__code", "service_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "service_code"], name="open311_serviceinfo_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.service_code}"

    def clean(self) -> None:
        if self.tenant_id and not _theme_exists(self.tenant_id, self.service_code):
            raise ValidationError({"service_code": _("The tenant has no theme with this code.")})


class ServiceAttribute(models.Model):
    """One question asked when a request of a service is posted (GeoReport v2 "attribute")."""

    class Datatype(models.TextChoices):
        STRING = "string", _("short text")
        NUMBER = "number", _("number")
        DATETIME = "datetime", _("date and time")
        TEXT = "text", _("long text")
        SINGLEVALUELIST = "singlevaluelist", _("one value from a list")
        MULTIVALUELIST = "multivaluelist", _("several values from a list")

    LISTS = (Datatype.SINGLEVALUELIST, Datatype.MULTIVALUELIST)

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    service_code = models.CharField(
        _("service code"), max_length=50, help_text=_("The code of one of the tenant's themes.")
    )
    code = models.CharField(
        _("code"),
        max_length=100,
        help_text=_("Sent back by clients as attribute[code]=value."),
    )
    variable = models.BooleanField(
        _("asks for a value"),
        default=True,
        help_text=_("Untick for a piece of information shown to the user, with no answer."),
    )
    datatype = models.CharField(_("type"), max_length=20, choices=Datatype.choices)
    required = models.BooleanField(_("required"), default=False)
    datatype_description = models.CharField(
        _("type description"),
        max_length=300,
        blank=True,
        help_text=_("E.g. “a plate number, like AB-123-CD”."),
    )
    order = models.PositiveIntegerField(_("order"), default=1)
    description = models.TextField(_("question"))
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_(
            'For lists only: [{"key": "1", "name": "Pothole"}, {"key": "2", "name": "Crack"}].'
        ),
    )

    class Meta:
        verbose_name = _("Open311 service attribute")
        verbose_name_plural = _("Open311 service attributes")
        ordering = ["tenant__code", "service_code", "order", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "service_code", "code"], name="open311_attribute_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_code}/{self.code}"

    def keys(self) -> list[str]:
        return [str(v["key"]) for v in self.values if isinstance(v, dict) and "key" in v]

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.tenant_id and not _theme_exists(self.tenant_id, self.service_code):
            errors["service_code"] = _("The tenant has no theme with this code.")
        if self.datatype in self.LISTS:
            values = self.values if isinstance(self.values, list) else None
            if not values or not all(
                isinstance(v, dict) and set(v) == {"key", "name"} and str(v["key"]).strip()
                for v in values
            ):
                errors["values"] = _('A list needs its values, each written {"key": …, "name": …}.')
            elif len({str(v["key"]) for v in values}) != len(values):
                errors["values"] = _("Two values have the same key.")
        elif self.values:
            errors["values"] = _("Only lists have values.")
        if errors:
            raise ValidationError(errors)


class Submission(models.Model):
    """A request received by the Open311 server and loaded into the warehouse."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    token = models.UUIDField(_("token"), default=uuid.uuid4, unique=True, editable=False)
    service_request_id = models.CharField(_("request id"), max_length=100)
    service_code = models.CharField(_("service code"), max_length=50)
    load_run = models.ForeignKey(
        "connectors.LoadRun",
        verbose_name=_("load"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    api_key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    address_id = models.CharField(_("address id"), max_length=200, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 request received")
        verbose_name_plural = _("Open311 requests received")
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "service_request_id"], name="open311_submission_unique"
            )
        ]

    def __str__(self) -> str:
        return self.service_request_id
