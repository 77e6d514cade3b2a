"""What a self-service dashboard keeps: a page of a tenant, built by an analyst from registered
indicators, and its ordered panels — each the name of a metric and how to show it, never data
nor SQL (the figures are computed through the metrics registry when the page is read)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant


class Visibility(models.TextChoices):
    PRIVATE = "private", _("Private (only me)")
    SHARED = "shared", _("Shared with the collectivité")


class ChartKind(models.TextChoices):
    NUMBER = "number", _("Figure with comparison")
    BAR = "bar", _("Vertical bars")
    HBAR = "hbar", _("Horizontal bars")
    LINE = "line", _("Line over the months")
    TABLE = "table", _("Table")


class PeriodChoice(models.TextChoices):
    ROLLING_YEAR = "rolling_year", _("Last twelve months")
    YEAR_TO_DATE = "year_to_date", _("Year to date")
    MONTH = "month", _("Last complete month")
    DATES = "dates", _("Explicit dates")


class Dashboard(models.Model):
    """A page of panels. A private page is its owner's alone; a shared one is read by every
    member of the tenant who may view dashboards and changed by those who may build them."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PRIVATE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("dashboard page")
        verbose_name_plural = _("dashboard pages")
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.visibility == Visibility.SHARED


class Panel(models.Model):
    """One indicator on a page: which metric, broken down by what, filtered how, over which
    period and drawn how. `filters` is `{dimension: [values]}`."""

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="panels")
    position = models.PositiveIntegerField(_("position"), default=0)
    metric = models.CharField(_("indicator"), max_length=100)
    by = models.CharField(_("broken down by"), max_length=50, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    chart = models.CharField(
        _("chart"), max_length=8, choices=ChartKind.choices, default=ChartKind.NUMBER
    )
    period = models.CharField(
        _("period"), max_length=12, choices=PeriodChoice.choices, default=PeriodChoice.ROLLING_YEAR
    )
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("to"), null=True, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title or self.metric
