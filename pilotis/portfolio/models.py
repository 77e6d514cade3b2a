"""The digital-transformation portfolio of a tenant: projects and what they aim at (usages,
mandate-plan objectives), what they cost year by year, their value analysis, the yearly
budget and staff capacity they compete for, the digital-maturity self-assessments, and what a
tenant agrees to share with other authorities."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pilotis.tenants.models import Tenant


class PlanObjective(models.Model):
    """An objective of the mandate plan (plan de mandat) or of the IT master plan (schéma
    directeur numérique) that projects serve."""

    class Plan(models.TextChoices):
        MANDATE = "mandat", _("Mandate plan")
        IT_MASTER = "sdn", _("IT master plan")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="plan_objectives")
    plan = models.CharField(_("plan"), max_length=6, choices=Plan.choices)
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)

    class Meta:
        ordering = ["plan", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "plan", "code"], name="one_objective_code_per_plan"
            )
        ]
        verbose_name = _("plan objective")
        verbose_name_plural = _("plan objectives")

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Status(models.TextChoices):
    IDEA = "idee", _("Idea")
    STUDY = "etude", _("Under study")
    PLANNED = "planifie", _("Planned")
    IN_PROGRESS = "en_cours", _("In progress")
    DONE = "termine", _("Done")
    SUSPENDED = "suspendu", _("Suspended")
    ABANDONED = "abandonne", _("Abandoned")


# What the prioritisation may still choose or leave out: not what is finished or given up.
OPEN_STATUSES = (Status.IDEA, Status.STUDY, Status.PLANNED, Status.IN_PROGRESS, Status.SUSPENDED)


class Project(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="projects")
    number = models.CharField(_("project number"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    status = models.CharField(
        pgettext_lazy("project", "status"), max_length=10, choices=Status.choices
    )
    sponsor = models.CharField(
        _("sponsor"),
        max_length=200,
        blank=True,
        help_text=_("The elected official or the director-general who carries the project."),
    )
    it_lead = models.CharField(_("IT project lead"), max_length=200, blank=True)
    business_lead = models.CharField(_("business project lead"), max_length=200, blank=True)
    lead_service = models.CharField(_("lead service"), max_length=200, blank=True)
    referent_elected = models.CharField(_("referent elected official"), max_length=200, blank=True)
    partners = models.CharField(_("partners"), max_length=300, blank=True)
    objectives = models.ManyToManyField(
        PlanObjective, verbose_name=_("objectives served"), blank=True, related_name="projects"
    )
    investment = models.DecimalField(
        _("investment (€)"), max_digits=12, decimal_places=2, default=0
    )
    running_cost = models.DecimalField(
        _("yearly running cost (€)"), max_digits=12, decimal_places=2, default=0
    )
    business_gains = models.DecimalField(
        _("yearly business gains (€)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("Time saved by agents, paper and postage no longer spent… valued in euros."),
    )
    it_gains = models.DecimalField(
        _("yearly IT gains (€)"),
        max_digits=12,
        decimal_places=2,
        default=0,
        help_text=_("Licences, servers or maintenance of older software no longer paid."),
    )
    start = models.DateField(_("planned start"), null=True, blank=True)
    end = models.DateField(_("planned end"), null=True, blank=True)
    mandatory = models.BooleanField(
        _("mandatory"),
        default=False,
        help_text=_("Required by law or already committed: always kept by the prioritisation."),
    )
    depends_on = models.ManyToManyField(
        "self",
        verbose_name=_("depends on"),
        symmetrical=False,
        blank=True,
        related_name="needed_by",
    )
    value_marks = models.JSONField(_("value marks"), default=dict, blank=True)  # axis → A..D
    value_notes = models.JSONField(_("value notes"), default=dict, blank=True)  # axis → why
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "number"], name="one_project_number")
        ]
        verbose_name = _("digital project")
        verbose_name_plural = _("digital projects")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def is_late(self, today: date | None = None) -> bool:
        """Past its planned end and not done, or a milestone past due and not reached."""
        today = today or date.today()
        if self.status in (Status.DONE, Status.ABANDONED):
            return False
        if self.end is not None and self.end < today:
            return True
        return any(m.done_on is None and m.planned_on < today for m in self.milestones.all())


class ProjectYear(models.Model):
    """What a project costs in one year (investment share and running cost) and the staff it
    needs: what the prioritisation weighs against each year's budget and capacity."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField(_("year"))
    cost = models.DecimalField(_("cost (€)"), max_digits=12, decimal_places=2, default=0)
    staff_days = models.PositiveIntegerField(_("staff-days"), default=0)

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="one_cost_line_per_year")
        ]
        verbose_name = _("yearly cost")
        verbose_name_plural = _("yearly costs")

    def __str__(self) -> str:
        return f"{self.project_id} {self.year}"


class Milestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    planned_on = models.DateField(_("planned date"))
    done_on = models.DateField(_("date reached"), null=True, blank=True)

    class Meta:
        ordering = ["planned_on"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return self.title


class Risk(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("risk"), max_length=300)
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood (1–3)"), validators=[MinValueValidator(1), MaxValueValidator(3)], default=2
    )
    impact = models.PositiveSmallIntegerField(
        _("impact (1–3)"), validators=[MinValueValidator(1), MaxValueValidator(3)], default=2
    )
    mitigation = models.CharField(_("mitigation"), max_length=300, blank=True)

    class Meta:
        ordering = ["-likelihood", "-impact", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")

    def __str__(self) -> str:
        return self.title


class ChangeAction(models.Model):
    """Change management: what makes the usages happen (workshops, training, communication)."""

    class Kind(models.TextChoices):
        WORKSHOP = "atelier", _("Workshop")
        TRAINING = "formation", _("Training")
        COMMUNICATION = "communication", _("Communication")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_actions")
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=200)
    planned_on = models.DateField(_("planned date"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MaxValueValidator(100)], default=0
    )

    class Meta:
        ordering = ["planned_on", "id"]
        verbose_name = _("change-management action")
        verbose_name_plural = _("change-management actions")

    def __str__(self) -> str:
        return self.title


class TargetUsage(models.Model):
    """A usage the project is for, as an action sentence centred on a user ("L'usager réalise
    sa demande en ligne"), optionally tied to a registered metric with a target and a date.
    With `as_share`, the figure is the metric with `filters` divided by the metric without
    them (e.g. requests made on the web or the app ÷ all requests)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="usages")
    sentence = models.CharField(_("usage"), max_length=300)
    metric = models.CharField(_("indicator"), max_length=100, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)  # dimension → [values]
    as_share = models.BooleanField(_("as a share of the whole"), default=False)
    target = models.FloatField(_("target"), null=True, blank=True)
    target_on = models.DateField(_("target date"), null=True, blank=True)
    measured_from = models.DateField(_("measured from"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("target usage")
        verbose_name_plural = _("target usages")

    def __str__(self) -> str:
        return self.sentence


class YearBudget(models.Model):
    """The money and the staff-days the tenant can give to its digital projects in a year."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="project_budgets")
    year = models.PositiveSmallIntegerField(_("year"))
    budget = models.DecimalField(_("budget (€)"), max_digits=12, decimal_places=2)
    staff_days = models.PositiveIntegerField(_("staff-days available"))

    class Meta:
        ordering = ["year"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "year"], name="one_budget_per_year")
        ]
        verbose_name = _("yearly project budget")
        verbose_name_plural = _("yearly project budgets")

    def __str__(self) -> str:
        return str(self.year)


class ValueGrid(models.Model):
    """A tenant's own value-analysis grid (axes, questions, weights), when it changed the
    default one (`pilotis.portfolio.value.default_grid`)."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="value_grid")
    grid = models.JSONField(_("grid"), default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("value-analysis grid")
        verbose_name_plural = _("value-analysis grids")

    def __str__(self) -> str:
        return str(self.tenant_id)


class MaturityAssessment(models.Model):
    """One self-assessment of digital maturity: the answers given, the indicators Pilotis
    measured instead of asking, and the score of each dimension (0–100)."""

    tenant = models.ForeignKey(
        Tenant, on_delete=models.CASCADE, related_name="maturity_assessments"
    )
    assessed_on = models.DateField(_("date"))
    answers = models.JSONField(_("answers"), default=dict)  # question id → level 0..3
    measured = models.JSONField(_("measured"), default=dict)  # question id → {level, value, …}
    scores = models.JSONField(_("scores"), default=dict)  # dimension id → 0..100
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_on", "-id"]
        verbose_name = _("digital-maturity assessment")
        verbose_name_plural = _("digital-maturity assessments")

    def __str__(self) -> str:
        return self.assessed_on.isoformat()


class Sharing(models.Model):
    """What a tenant agrees to show other tenants of the instance."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="sharing")
    maturity = models.BooleanField(_("share my maturity scores"), default=False)
    indicators = models.JSONField(_("indicators shared"), default=list, blank=True)
    notes = models.BooleanField(_("share my experience notes"), default=False)
    anonymous = models.BooleanField(
        _("anonymously"),
        default=True,
        help_text=_("Others see “a commune of 10,000 to 20,000 inhabitants”, not your name."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sharing with other authorities")
        verbose_name_plural = _("sharing with other authorities")

    def __str__(self) -> str:
        return str(self.tenant_id)


class ExperienceNote(models.Model):
    """What worked and what failed in a project, with what it cost: what peers learn from."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="experience_notes")
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes"
    )
    title = models.CharField(_("title"), max_length=200)
    worked = models.TextField(_("what worked"), blank=True)
    failed = models.TextField(_("what failed"), blank=True)
    cost = models.DecimalField(
        _("total cost (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("experience note")
        verbose_name_plural = _("experience notes")

    def __str__(self) -> str:
        return self.title
