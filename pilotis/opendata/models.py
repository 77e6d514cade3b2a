"""Publications: a warehouse table (or a file the clerk drops) turned into a public dataset,
republished as numbered versions. A version is immutable once written; the current one is the
last that succeeded, so a failed run leaves the previous one online."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.catalog.models import Frequency, Licence
from pilotis.opendata.vocab import HvdCategory, Theme
from pilotis.tenants.models import Tenant


class SourceKind(models.TextChoices):
    TABLE = "table", _("A warehouse table")
    FILE = "file", _("A file (checked against its national schema)")


class Publication(models.Model):
    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    # The DCAT dct:identifier: never changes across republications (a changed identifier makes
    # harvesters such as data.gouv.fr create a duplicate dataset).
    identifier = models.UUIDField(_("identifier"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("address"), max_length=120)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Separated by commas.")
    )
    theme = models.CharField(_("theme"), max_length=4, choices=Theme.choices, default=Theme.GOVE)
    licence = models.CharField(
        _("licence"), max_length=12, choices=Licence.choices, default=Licence.ETALAB
    )
    frequency = models.CharField(
        _("update frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    hvd_category = models.CharField(
        _("high-value dataset category"),
        max_length=12,
        choices=HvdCategory.choices,
        default="",
        blank=True,
    )
    source_kind = models.CharField(
        _("source"), max_length=8, choices=SourceKind.choices, default=SourceKind.TABLE
    )
    source_table = models.CharField(_("warehouse table"), max_length=120, blank=True)
    source_file = models.FileField(
        _("file"), upload_to="opendata/sources/%Y/%m/", max_length=300, blank=True
    )
    columns = models.JSONField(
        _("published columns"),
        default=list,
        blank=True,
        help_text=_("Empty: every column of the table that is not lineage."),
    )
    row_filters = models.JSONField(
        _("rows kept"),
        default=dict,
        blank=True,
        help_text=_("Column → accepted values; empty: every row."),
    )
    rules = models.JSONField(
        _("anonymisation rules"),
        default=dict,
        blank=True,
        help_text=_('Column → rule, e.g. {"description": {"rule": "redact"}}.'),
    )
    aggregate = models.JSONField(
        _("aggregation"),
        default=dict,
        blank=True,
        help_text=_('Publish counts instead of rows: {"group_by": [...], "k": 5}.'),
    )
    national_schema = models.CharField(
        _("national schema"),
        max_length=120,
        blank=True,
        help_text=_("A schema of schema.data.gouv.fr, e.g. scdl/subventions."),
    )
    national_schema_version = models.CharField(_("schema version"), max_length=20, blank=True)
    apply_fixes = models.BooleanField(
        _("apply the safe fixes"),
        default=True,
        help_text=_("Encoding, separators, number and date formats, header case."),
    )
    auto_republish = models.BooleanField(
        _("republish after each load"),
        default=True,
        help_text=_("And at least as often as the update frequency."),
    )
    public = models.BooleanField(
        _("online"), default=True, help_text=_("Unticked: the dataset leaves the portal.")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="opendata_publication_slug")
        ]
        verbose_name = _("publication")
        verbose_name_plural = _("publications")

    def __str__(self) -> str:
        return self.title

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]

    def current(self) -> PublicationVersion | None:
        """The version online: the last one that succeeded."""
        return self.versions.filter(status=PublicationVersion.Status.OK).order_by("-number").first()


class PublicationVersion(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        OK = "ok", _("Published")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        MANUAL = "manual", _("By hand")
        LOAD = "load", _("After a load")
        SCHEDULE = "schedule", _("On schedule")

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.RUNNING
    )
    trigger = models.CharField(
        _("trigger"), max_length=8, choices=Trigger.choices, default=Trigger.MANUAL
    )
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    fields = models.JSONField(_("fields"), default=list, blank=True)  # [{"name","type","title"}]
    resources = models.JSONField(default=dict, blank=True)  # format → {"file","bytes","sha256"}
    content_hash = models.CharField(max_length=64, blank=True)
    changelog = models.TextField(_("changes"), blank=True)
    error = models.TextField(_("error"), blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    source_versions = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "number"], name="opendata_version")
        ]
        verbose_name = _("publication version")
        verbose_name_plural = _("publication versions")

    def __str__(self) -> str:
        return f"{self.publication} v{self.number}"

    @property
    def modified(self) -> Any:
        return self.finished_at or self.started_at


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Subscription(models.Model):
    """Someone told by e-mail when a publication changes (no account needed)."""

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="subscriptions"
    )
    email = models.EmailField(_("e-mail address"))
    token = models.CharField(max_length=40, default=new_token, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "email"], name="opendata_subscription_email"
            )
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return self.email
