"""Alerts: a threshold on any registered metric, its history of state changes, and the in-app
notifications they send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.metrics.registry import PeriodKind
from pilotis.tenants.models import Tenant


class Comparison(models.TextChoices):
    GT = "gt", _("above")
    GE = "ge", _("at or above")
    LT = "lt", _("below")
    LE = "le", _("at or below")


PERIODS = [
    (PeriodKind.ROLLING_YEAR, _("the last 12 months")),
    (PeriodKind.YEAR_TO_DATE, _("since 1 January")),
    (PeriodKind.MONTH, _("the last month")),
    (PeriodKind.STOCK, _("at the month's end")),
]


class AlertRule(models.Model):
    class State(models.TextChoices):
        UNKNOWN = "unknown", _("Not checked yet")
        OK = "ok", _("Normal")
        ALERT = "alert", _("In alert")
        NO_DATA = "no_data", _("No figure")
        # A rule "from the end of month M" before M: not judged this year yet (each year's
        # crossing is told anew).
        WAITING = "waiting", _("Waiting for its month")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200, blank=True)
    metric = models.CharField(_("indicator"), max_length=100)
    dimension = models.CharField(_("narrowed to (dimension)"), max_length=50, blank=True)
    value = models.CharField(_("value of the dimension"), max_length=200, blank=True)
    # Further filters, {dimension: [values]}, as the dashboards offer them (e.g. the channel).
    filters = models.JSONField(_("other filters"), default=dict, blank=True)
    comparison = models.CharField(
        _("alert when the figure is"), max_length=2, choices=Comparison.choices
    )
    threshold = models.FloatField(
        _("threshold"),
        help_text=_("In the indicator's unit (the metric's own value: 0.4 for 40 %)."),
    )
    period = models.CharField(
        _("over"), max_length=16, choices=PERIODS, default=PeriodKind.ROLLING_YEAR
    )
    from_month = models.PositiveSmallIntegerField(
        _("checked from the end of month"),
        null=True,
        blank=True,
        help_text=_("E.g. 6: checked only once the figures reach the end of June of the year."),
    )
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    by_email = models.BooleanField(_("by e-mail"), default=True)
    in_app = models.BooleanField(_("in the application"), default=True)
    active = models.BooleanField(_("active"), default=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.UNKNOWN)
    last_value = models.FloatField(_("last figure"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["tenant", "metric", "pk"]

    def __str__(self) -> str:
        return self.name or f"{self.metric} {self.comparison} {self.threshold}"


class AlertEvent(models.Model):
    class Kind(models.TextChoices):
        FIRED = "fired", _("Alert")
        RESOLVED = "resolved", _("Back to normal")

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=8, choices=Kind.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    value = models.FloatField(_("figure"), null=True)
    threshold = models.FloatField(_("threshold"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    message = models.TextField(_("message"))
    emailed = models.PositiveIntegerField(_("e-mails sent"), default=0)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rule} {self.kind} {self.at:%Y-%m-%d}"


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(AlertEvent, on_delete=models.CASCADE, related_name="notifications")
    message = models.TextField(_("message"))
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user} {self.message[:40]}"
