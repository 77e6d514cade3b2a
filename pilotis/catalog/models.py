"""The data catalog of a tenant: one entry per dataset, its quality history, its RGPD record of
processing, the access requests on it and the coarse lineage links other apps declare.

Every model carries `tenant`, so views read it through `pilotis.tenants.access.scope`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from pilotis.tenants.models import Tenant


class Kind(models.TextChoices):
    TABLE = "table", _("Warehouse table")
    PUBLICATION = "publication", _("Published dataset")
    INDICATOR = "indicator", _("Indicator")


class Sensitivity(models.TextChoices):
    PUBLIC = "public", _("Public")
    INTERNAL = "internal", _("Internal")
    PERSONAL = "personal", _("Personal data")
    CONFIDENTIAL = "confidential", _("Confidential")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    IRREGULAR = "irregular", _("Irregular")


# How old the last successful load may be before a dataset is stale: the period plus a margin
# (a daily export that arrives a few hours late is not an alert). Irregular: never stale.
MAX_AGE: dict[str, timedelta | None] = {
    Frequency.DAILY: timedelta(days=2),
    Frequency.WEEKLY: timedelta(days=8),
    Frequency.MONTHLY: timedelta(days=35),
    Frequency.QUARTERLY: timedelta(days=100),
    Frequency.YEARLY: timedelta(days=380),
    Frequency.IRREGULAR: None,
}


class Licence(models.TextChoices):
    ETALAB = "etalab-2.0", _("Licence Ouverte / Open Licence 2.0 (Etalab)")
    ODBL = "odbl-1.0", _("Open Database License (ODbL) 1.0")
    OTHER = "other", _("Other licence (say which in the description)")


class Freshness(models.TextChoices):
    FRESH = "fresh", _("Up to date")
    STALE = "stale", _("Stale")
    NEVER = "never", _("Never loaded")
    IRREGULAR = "irregular", _("Irregular updates")


class QualityStatus(models.TextChoices):
    UNKNOWN = "", _("Not checked yet")
    PASSED = "passed", _("All checks passed")
    FAILED = "failed", _("Some checks failed")


class LegalBasis(models.TextChoices):
    """Article 6(1) of the GDPR."""

    CONSENT = "consent", _("Consent of the data subject (art. 6(1)(a))")
    CONTRACT = "contract", _("Performance of a contract (art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Compliance with a legal obligation (art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Protection of vital interests (art. 6(1)(d))")
    PUBLIC_TASK = (
        "public_task",
        _(
            "Task carried out in the public interest or in the exercise of official authority "
            "(art. 6(1)(e))"
        ),
    )
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (art. 6(1)(f))")


class ProcessingRecord(models.Model):
    """One processing of personal data in the tenant's register (GDPR article 30(1) a–g), with
    the items of the CNIL's model register sheet."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(_("name of the processing"), max_length=200)
    reference = models.CharField(
        _("reference"), max_length=50, blank=True, help_text=_("Your own number, e.g. RT-012.")
    )
    controller_name = models.CharField(
        _("controller"),
        max_length=200,
        blank=True,
        help_text=_("The collectivité, represented by its mayor or president."),
    )
    controller_address = models.TextField(_("controller's address"), blank=True)
    controller_contact = models.CharField(
        _("controller's contact"), max_length=300, blank=True, help_text=_("Telephone, email.")
    )
    dpo_name = models.CharField(_("data protection officer (DPO)"), max_length=200, blank=True)
    dpo_contact = models.CharField(
        _("DPO's contact"),
        max_length=300,
        blank=True,
        help_text=_("A public authority must designate a DPO (GDPR article 37)."),
    )
    purposes = models.TextField(
        _("purposes"),
        blank=True,
        help_text=_("Why the data is processed: the main purpose, then any secondary ones."),
    )
    legal_basis = models.CharField(
        _("legal basis"), max_length=30, choices=LegalBasis.choices, blank=True
    )
    legal_basis_detail = models.TextField(
        _("legal basis, details"),
        blank=True,
        help_text=_("The text that sets the task or the obligation, e.g. an article of a code."),
    )
    data_subjects = models.TextField(
        _("categories of data subjects"), blank=True, help_text=_("E.g. residents, agents.")
    )
    data_categories = models.TextField(
        _("categories of personal data"),
        blank=True,
        help_text=_("E.g. identity, contact details, location, free-text comments."),
    )
    sensitive_data = models.BooleanField(
        _("includes sensitive data (GDPR article 9)"),
        default=False,
        help_text=_(
            "Health, racial or ethnic origin, political opinions, religious beliefs, trade "
            "union membership, sexual life or orientation, genetic or biometric data."
        ),
    )
    sensitive_data_detail = models.TextField(
        _("sensitive data, details"),
        blank=True,
        help_text=_("Which categories, and the article 9(2) exception that allows it."),
    )
    recipients = models.TextField(
        _("categories of recipients"),
        blank=True,
        help_text=_("Internal services, partner bodies, processors (subcontractors)."),
    )
    transfers_outside_eu = models.BooleanField(
        _("transfers outside the European Union"), default=False
    )
    transfer_safeguards = models.TextField(
        _("transfers: recipients, countries and safeguards"),
        blank=True,
        help_text=_("E.g. adequacy decision, standard contractual clauses."),
    )
    retention = models.TextField(
        _("erasure time limits"),
        blank=True,
        help_text=_("How long each category of data is kept, and what happens then."),
    )
    security_measures = models.TextField(
        _("technical and organisational security measures"),
        blank=True,
        help_text=_(
            "Access control, traceability, software protection, backups, encryption, "
            "control of processors."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The items a record needs to be complete, in the order of the CNIL model.
    REQUIRED = (
        "name",
        "controller_name",
        "controller_address",
        "controller_contact",
        "dpo_contact",
        "purposes",
        "legal_basis",
        "data_categories",
        "retention",
        "data_subjects",
        "recipients",
        "security_measures",
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("record of processing")
        verbose_name_plural = _("records of processing")

    def __str__(self) -> str:
        return self.name

    def _label(self, name: str) -> str:
        return str(getattr(self._meta.get_field(name), "verbose_name", name))

    @property
    def missing_items(self) -> list[str]:
        """The labels of the items still to fill in, empty when the record is complete."""
        missing = [
            self._label(name) for name in self.REQUIRED if not str(getattr(self, name)).strip()
        ]
        if self.sensitive_data and not self.sensitive_data_detail.strip():
            missing.append(self._label("sensitive_data_detail"))
        if self.transfers_outside_eu and not self.transfer_safeguards.strip():
            missing.append(self._label("transfer_safeguards"))
        return missing

    @property
    def is_complete(self) -> bool:
        return not self.missing_items


class DatasetQuerySet(models.QuerySet["Dataset"]):
    def stale(self, now: datetime | None = None) -> DatasetQuerySet:
        """Datasets whose last successful load is older than their frequency allows."""
        return self.filter(stale_q(now))


def stale_q(now: datetime | None = None) -> Q:
    """The condition of a stale dataset at `now`, for any queryset of datasets."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for frequency, max_age in MAX_AGE.items():
        if max_age is None:
            continue
        condition |= Q(frequency=frequency) & (
            Q(last_loaded_at__lt=now - max_age) | Q(last_loaded_at__isnull=True)
        )
    return condition


class Dataset(models.Model):
    """A catalog entry: a warehouse table of a tenant, and later a published dataset or an
    indicator. Its metadata follow DCAT-AP / data.gouv.fr where they exist."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.TABLE)
    name = models.CharField(
        _("technical name"), max_length=120, help_text=_("The table's name in the warehouse.")
    )
    slug = models.SlugField(_("address"), max_length=140)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    owner_unit = models.ForeignKey(
        "referential.OrgUnit",
        verbose_name=_("owner service"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The member who answers questions and access requests about this dataset."),
    )
    referent_name = models.CharField(
        _("referent's name"),
        max_length=200,
        blank=True,
        help_text=_("When the referent has no account in Pilotis."),
    )
    referent_email = models.EmailField(_("referent's email"), blank=True)
    sensitivity = models.CharField(
        _("sensitivity"), max_length=12, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    processing_record = models.ForeignKey(
        ProcessingRecord,
        verbose_name=_("record of processing (RGPD)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="datasets",
    )
    open_data = models.BooleanField(_("open data"), default=False)
    cada = models.BooleanField(
        _("communicable document (CADA)"),
        default=False,
        help_text=_(
            "An administrative document anyone may ask for (code des relations entre "
            "le public et l'administration, book III)."
        ),
    )
    inspire = models.BooleanField(
        _("INSPIRE"), default=False, help_text=_("Geographic data under the INSPIRE directive.")
    )
    frequency = models.CharField(
        _("update frequency"), max_length=10, choices=Frequency.choices, default=Frequency.IRREGULAR
    )
    licence = models.CharField(
        _("licence"), max_length=12, choices=Licence.choices, default=Licence.ETALAB
    )
    schema_name = models.CharField(
        _("schema"),
        max_length=200,
        blank=True,
        help_text=_(
            "The canonical table, or a schema of schema.data.gouv.fr such as "
            "etalab/schema-irve-statique."
        ),
    )
    keywords = models.CharField(
        _("keywords"), max_length=500, blank=True, help_text=_("Separated by commas.")
    )
    last_loaded_at = models.DateTimeField(_("last loaded"), null=True, blank=True)
    quality_status = models.CharField(
        _("quality"), max_length=8, choices=QualityStatus.choices, default="", blank=True
    )
    quality_checked_at = models.DateTimeField(_("quality checked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="catalog_dataset_slug_unique"),
            models.UniqueConstraint(
                fields=["tenant", "kind", "name"], name="catalog_dataset_name_unique"
            ),
        ]
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")

    def __str__(self) -> str:
        return self.title

    @staticmethod
    def make_slug(kind: str, name: str) -> str:
        return slugify(name if kind == Kind.TABLE else f"{kind}-{name}")[:140] or "jeu"

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.sensitivity == Sensitivity.PERSONAL and self.processing_record_id is None:
            errors["processing_record"] = _(
                "A dataset of personal data must be linked to its record of processing in the "
                "RGPD register (GDPR article 30). Create the record in the register first if "
                "it does not exist yet."
            )
        if (
            self.processing_record_id is not None
            and self.processing_record is not None
            and self.processing_record.tenant_id != self.tenant_id
        ):
            errors["processing_record"] = _("This record belongs to another collectivité.")
        if self.open_data and self.sensitivity in (Sensitivity.PERSONAL, Sensitivity.CONFIDENTIAL):
            errors["open_data"] = _(
                "Personal or confidential data cannot be open data as it is: publish an "
                "anonymised dataset instead, or change the sensitivity."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def keyword_list(self) -> list[str]:
        return [k.strip() for k in self.keywords.split(",") if k.strip()]

    @property
    def max_age(self) -> timedelta | None:
        return MAX_AGE.get(self.frequency)

    def freshness(self, now: datetime | None = None) -> str:
        """Freshness of the data at `now`, from the last successful load and the frequency."""
        max_age = self.max_age
        if self.last_loaded_at is None:
            return Freshness.IRREGULAR if max_age is None else Freshness.NEVER
        if max_age is None:
            return Freshness.IRREGULAR
        now = now or timezone.now()
        return Freshness.STALE if now - self.last_loaded_at > max_age else Freshness.FRESH

    @property
    def is_stale(self) -> bool:
        return self.freshness() in (Freshness.STALE, Freshness.NEVER)

    def get_freshness_display(self) -> str:
        return str(Freshness(self.freshness()).label)

    @property
    def referent_label(self) -> str:
        if self.referent is not None:
            return self.referent.get_full_name() or self.referent.get_username()
        return self.referent_name


class CheckName(models.TextChoices):
    FRESHNESS = "freshness", _("Freshness")
    ROW_COUNT = "row_count", _("Row count")
    REQUIRED_FIELDS = "required_fields", _("Required fields filled in")
    UNIQUE_KEY = "unique_key", _("Unique key")
    CODE_LISTS = "code_lists", _("Values in their code lists")


class QualityCheck(models.Model):
    """The result of one quality check of a dataset at one time: the history is kept."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="checks")
    name = models.CharField(_("check"), max_length=20, choices=CheckName.choices)
    passed = models.BooleanField(_("passed"))
    value = models.FloatField(_("measured value"), null=True, blank=True)
    detail = models.JSONField(_("threshold and details"), default=dict, blank=True)
    at = models.DateTimeField(_("when"), default=timezone.now)
    load_id = models.CharField(_("load"), max_length=40, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["dataset", "name", "-at"])]
        verbose_name = _("quality check")
        verbose_name_plural = _("quality checks")

    def __str__(self) -> str:
        return f"{self.dataset} {self.name} {'ok' if self.passed else 'KO'} {self.at:%Y-%m-%d}"


class AccessRequest(models.Model):
    """A member asks to read a dataset; its referent or a data steward decides. An approved
    request is the grant itself (see `pilotis.catalog.access.can_read`)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    dataset = models.ForeignKey(
        Dataset,
        verbose_name=_("dataset"),
        on_delete=models.CASCADE,
        related_name="access_requests",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("requested on"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided on"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "requester"],
                condition=Q(status="pending"),
                name="catalog_one_pending_request",
            )
        ]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")

    def __str__(self) -> str:
        return f"{self.requester} → {self.dataset} ({self.status})"


class NodeKind(models.TextChoices):
    SOURCE = "source", _("Source")
    TABLE = "table", _("Warehouse table")
    INDICATOR = "indicator", _("Indicator")
    PUBLICATION = "publication", _("Published dataset")


class LineageLink(models.Model):
    """A coarse lineage edge declared by another app: e.g. table `requests` → indicator
    `delai-moyen`. Sources → tables come from the connectors at read time."""

    tenant = models.ForeignKey(
        Tenant, verbose_name=_("tenant"), on_delete=models.CASCADE, related_name="+"
    )
    from_kind = models.CharField(max_length=12, choices=NodeKind.choices)
    from_name = models.CharField(max_length=200)
    to_kind = models.CharField(max_length=12, choices=NodeKind.choices)
    to_name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_kind", "from_name", "to_kind", "to_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "from_kind", "from_name", "to_kind", "to_name"],
                name="catalog_lineage_link_unique",
            )
        ]
        verbose_name = _("lineage link")
        verbose_name_plural = _("lineage links")

    def __str__(self) -> str:
        return f"{self.from_kind}:{self.from_name} → {self.to_kind}:{self.to_name}"
