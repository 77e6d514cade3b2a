"""The official referential (regions, departments, EPCI, communes), loaded from the snapshot of
INSEE's Code officiel géographique that Pilotis ships, and each tenant's own organisation units
and themes."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A French region (code INSEE), overseas collectivities included."""

    code = models.CharField(_("region code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Departement(models.Model):
    """A French department (code INSEE: 01…95, 2A, 2B, 971…989)."""

    code = models.CharField(_("department code"), max_length=3, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="departements"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    """An intercommunality with its own taxation (EPCI à fiscalité propre), by SIREN."""

    siren = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=5, help_text=_("CC, CA, CU, METRO or MET69 (Métropole de Lyon)")
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intercommunality (EPCI)")
        verbose_name_plural = _("intercommunalities (EPCI)")

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A current French commune, or an arrondissement municipal of Paris, Lyon or Marseille.

    Postal codes and INSEE codes are n-to-n: a commune may have several postal codes and a
    postal code may serve several communes.
    """

    code_insee = models.CharField(_("INSEE code"), max_length=5, primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    departement = models.ForeignKey(
        Departement, verbose_name=_("department"), on_delete=models.PROTECT, related_name="communes"
    )
    epci = models.ForeignKey(
        Epci,
        verbose_name=_("intercommunality (EPCI)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communes",
    )
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    postal_codes = models.JSONField(_("postal codes"), default=list, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("commune of this arrondissement municipal"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="arrondissements",
    )
    delegated_names = models.JSONField(
        _("names of its delegated or associated communes"),
        default=list,
        blank=True,
        help_text=_("Former communes merged into this one; name matching accepts them."),
    )

    class Meta:
        ordering = ["code_insee"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return f"{self.name} ({self.code_insee})"

    @property
    def is_arrondissement(self) -> bool:
        return self.parent_id is not None


class OrgUnit(models.Model):
    """A direction or a service of a tenant's own organisation, as a tree."""

    class Kind(models.TextChoices):
        DIRECTION = "direction", _("Direction")
        SERVICE = "service", _("Service")

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SERVICE)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("part of"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(
        _("short code"),
        max_length=30,
        blank=True,
        help_text=_("Optional, unique in your organisation, e.g. DRH or SIG."),
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"],
                condition=~Q(code=""),
                name="referential_orgunit_code_unique_per_tenant",
            )
        ]
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")

    def __str__(self) -> str:
        return self.name


class Theme(models.Model):
    """A theme of a tenant's own taxonomy (e.g. roads, schools), as a tree."""

    tenant = models.ForeignKey(
        "tenants.Tenant", verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    code = models.CharField(
        _("code"), max_length=50, help_text=_("Unique in your organisation, e.g. voirie.")
    )
    label = models.CharField(_("label"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("broader theme"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="children",
    )
    target_days = models.DecimalField(
        _("target time to close (days)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "Requests of this theme closed within this many days are on time. Empty: the "
            "default target of the instance (10 days)."
        ),
    )

    class Meta:
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "code"], name="referential_theme_code_unique_per_tenant"
            )
        ]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.label
