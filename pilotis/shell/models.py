"""The accessibility statement required by law (article 47 of law 2005-102, RGAA 4.1)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessibilityStatement(models.Model):
    """One statement per tenant, plus one for the instance (tenant empty)."""

    class Compliance(models.TextChoices):
        NONE = "non", _("not compliant")
        PARTIAL = "partiel", _("partially compliant")
        FULL = "total", _("fully compliant")

    tenant = models.OneToOneField(
        "tenants.Tenant",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="accessibility_statement",
    )
    entity_name = models.CharField(_("entity making the statement"), max_length=200)
    compliance = models.CharField(
        _("compliance level"), max_length=8, choices=Compliance.choices, default=Compliance.PARTIAL
    )
    audit_rate = models.DecimalField(
        _("share of RGAA criteria met (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    audit_date = models.DateField(_("date of the audit"), null=True, blank=True)
    audit_by = models.CharField(_("audit carried out by"), max_length=200, blank=True)
    statement_date = models.DateField(_("date of the statement"), null=True, blank=True)
    non_compliant_content = models.TextField(_("non-compliant content"), blank=True)
    multi_year_plan_url = models.URLField(_("multi-year accessibility plan (link)"), blank=True)
    action_plan = models.TextField(_("this year's action plan"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_url = models.URLField(_("contact form"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)

    class Meta:
        verbose_name = _("accessibility statement")
        verbose_name_plural = _("accessibility statements")

    def __str__(self) -> str:
        return self.entity_name
