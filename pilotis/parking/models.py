"""Saved what-if scenarios: a policy (the grid changes) and the figures it predicted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant


class Scenario(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="parking_scenarios")
    name = models.CharField(_("name"), max_length=200)
    policy = models.JSONField(_("policy"), default=dict)  # simulate.Policy.as_dict()
    totals = models.JSONField(_("predicted totals"), default=dict)
    zones = models.JSONField(_("predicted figures by zone"), default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("parking scenario")
        verbose_name_plural = _("parking scenarios")

    def __str__(self) -> str:
        return self.name
