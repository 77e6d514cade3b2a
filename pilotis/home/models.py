"""What the home dashboard keeps: the tenant's own targets for key indicators, who receives the
monthly steering report, and each report sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant


class Target(models.Model):
    """The tenant's target for a key indicator, replacing the indicator's default one. The
    value is the metric's own (0.8 for 80 %)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(_("indicator"), max_length=100)
    value = models.FloatField(_("target"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "metric"], name="home_target_unique")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.code} {self.metric} {self.value}"


class ReportSubscription(models.Model):
    """A member who receives the monthly steering report of a tenant by e-mail."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report subscription")
        verbose_name_plural = _("report subscriptions")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="home_report_subscription")
        ]

    def __str__(self) -> str:
        return f"{self.tenant.code} {self.user}"


class ReportDelivery(models.Model):
    """One monthly report sent (or that failed to be sent) to a tenant's subscribers."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        NOBODY = "nobody", _("No subscriber")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # the last day of the month the report is about
    status = models.CharField(_("status"), max_length=8, choices=Status.choices)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    pdf_pages = models.PositiveIntegerField(_("PDF pages"), default=0)
    error = models.TextField(_("error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-sent_at"]

    def __str__(self) -> str:
        return f"{self.tenant.code} {self.month:%Y-%m} {self.status}"
