"""Tenants: the collectivités served by an instance, and who belongs to each with which role."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.roles import Role


class TenantKind(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    EPCI = "epci", _("Intercommunality (EPCI)")
    DEPARTEMENT = "departement", _("Department")
    REGION = "region", _("Region")


class Tenant(models.Model):
    """A collectivité, identified by its official code: INSEE code of a commune, SIREN of an
    EPCI, code of a department or region. Created from the referential (`pilotis createtenant`)."""

    code = models.CharField(_("official code"), max_length=9, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=TenantKind.choices)
    name = models.CharField(_("name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, db_index=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    postal_codes = models.JSONField(_("postal codes"), default=list, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("intercommunality"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    epci_code = models.CharField(
        _("SIREN of its intercommunality"),
        max_length=9,
        blank=True,
        help_text=_("From the referential, even when the intercommunality is not a tenant here."),
    )
    shares_with_parent = models.BooleanField(
        _("shares its data with its intercommunality"),
        default=True,
        help_text=_("The intercommunality's administrators may read this member's data."),
    )
    primary_color = models.CharField(_("main colour"), max_length=7, default="#1f4e79")
    logo = models.FileField(_("logo"), upload_to="logos/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tenant")
        verbose_name_plural = _("tenants")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """One user's role in one tenant; a user may belong to several tenants."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="one_role_per_user_and_tenant")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} — {self.tenant} ({self.get_role_display()})"
