"""Configured sources, their load runs, and the lock that keeps one load per table at a time."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant

HEARTBEAT_STALE_AFTER = timedelta(minutes=5)


class Source(models.Model):
    """A source of one tenant: a kind, its configuration and the mapping to a canonical table."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="sources")
    name = models.CharField(
        _("name"),
        max_length=80,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9_-]*$", _("Lowercase letters, digits, - and _."))
        ],
        help_text=_("Short name used on the command line, e.g. gru-accueil."),
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=40)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    mapping = models.TextField(
        _("mapping (YAML)"),
        help_text=_("Which source column feeds which field of the canonical table."),
    )
    schedule_minutes = models.PositiveIntegerField(
        _("pull every (minutes)"),
        default=0,
        help_text=_("0: only on demand. The worker pulls the source at this interval."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    state = models.JSONField(_("incremental state"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["tenant__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="connectors_source_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.code}/{self.name}"

    def table_name(self) -> str:
        from pilotis.connectors.mapping import Mapping

        return Mapping.from_yaml(self.mapping).table


class LoadRun(models.Model):
    """One load: a source (or an ad-hoc file, or a replay of quarantined rows) into a table."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        INTERRUPTED = "interrupted", _("interrupted")
        ROLLED_BACK = "rolled_back", _("rolled back")

    class Kind(models.TextChoices):
        LOAD = "load", _("load")
        REPLAY = "replay", _("replay of quarantined rows")
        ROLLBACK = "rollback", _("rollback")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="load_runs")
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    source_name = models.CharField(_("source"), max_length=200)
    table = models.CharField(_("table"), max_length=80)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.LOAD)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    description = models.CharField(_("what was read"), max_length=300, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    host = models.CharField(max_length=200, default=socket.gethostname)
    pid = models.PositiveIntegerField(default=os.getpid)
    progress = models.FloatField(default=0.0)  # 0..1
    rows_read = models.BigIntegerField(default=0)
    rows_loaded = models.BigIntegerField(default=0)
    rows_quarantined = models.BigIntegerField(default=0)
    rows_inserted = models.BigIntegerField(default=0)
    rows_updated = models.BigIntegerField(default=0)
    rows_deleted = models.BigIntegerField(default=0)
    version = models.BigIntegerField(null=True, blank=True)  # Delta version this load committed
    previous_version = models.BigIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    mapping = models.TextField(blank=True)  # the mapping used, so that a replay can reuse it
    config = models.JSONField(default=dict, blank=True)  # the source kind's configuration used
    source_kind = models.CharField(max_length=40, blank=True)
    read_hints = models.JSONField(default=dict, blank=True)  # decimal mark, date formats found
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("load")
        verbose_name_plural = _("loads")
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["tenant", "table", "-started_at"])]

    def __str__(self) -> str:
        return (
            f"{self.tenant.code}/{self.table} {self.source_name} {self.started_at:%Y-%m-%d %H:%M}"
        )

    @property
    def load_id(self) -> str:
        return str(self.id)

    @property
    def duration(self) -> timedelta | None:
        end = self.finished_at or (timezone.now() if self.status == self.Status.RUNNING else None)
        return None if end is None else end - self.started_at

    def is_alive(self) -> bool:
        """Whether a RUNNING run's process still works on it."""
        if self.status != self.Status.RUNNING:
            return False
        if self.host == socket.gethostname():
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return timezone.now() - self.heartbeat_at < HEARTBEAT_STALE_AFTER


class TableLock(models.Model):
    """Held by the run writing a tenant's table: one writer per Delta table at a time."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)
    table = models.CharField(max_length=80)
    run = models.ForeignKey(LoadRun, on_delete=models.CASCADE)
    acquired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "table"], name="connectors_one_lock_per_table"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}/{self.table}"
