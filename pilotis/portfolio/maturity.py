"""The digital-maturity self-assessment: six dimensions of four questions, each answered with a
level from 0 to 3 — or measured by Pilotis from the tenant's own data where it can
(`pilotis.portfolio.maturity_measures`), as the best municipal maturity indices do. A dimension
scores 0–100 (the mean level ÷ 3); a dimension under 50 gets recommendations, one per question
below level 2."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from statistics import mean
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pilotis.errors import PilotisError
from pilotis.portfolio import maturity_measures as measures
from pilotis.portfolio.models import MaturityAssessment
from pilotis.tenants.models import Tenant

LEVELS = (0, 1, 2, 3)
WEAK_BELOW = 50  # a dimension scoring less gets recommendations
ADVISED_BELOW = 2  # in a weak dimension, the questions below this level get advice


class MaturityError(PilotisError):
    """An assessment that cannot be recorded as given."""


@dataclass(frozen=True)
class Dimension:
    id: str
    label: Promise
    short: Promise  # on the radar's axes: a word or two
    advice: Promise  # what a weak dimension needs first


@dataclass(frozen=True)
class Question:
    id: str
    dimension: str
    text: Promise
    levels: tuple[Promise, Promise, Promise, Promise]
    advice: Promise  # the next step for a tenant below level 2
    indicator: measures.Indicator | None = None


DIMENSIONS = (
    Dimension(
        "strategy",
        _("Strategy and governance"),
        _("Strategy"),
        _("Give the digital transformation a written direction and people who steer it."),
    ),
    Dimension(
        "organisation",
        _("Organisation and skills"),
        _("Organisation"),
        _("Give digital matters an owner, and the agents the skills and support they need."),
    ),
    Dimension(
        "infrastructure",
        _("Infrastructure and security"),
        _("Infrastructure"),
        _("Secure the basics first: access rights, backups, a security policy."),
    ),
    Dimension(
        "data",
        _("Data"),
        _("Data"),
        _("Know your data, check it, protect it and open what is public."),
    ),
    Dimension(
        "services",
        _("Online services and usages"),
        _("Services"),
        _("Put the frequent procedures online and answer requests within target delays."),
    ),
    Dimension(
        "inclusion",
        _("Inclusion and accessibility"),
        _("Inclusion"),
        _("Leave nobody behind: accessible sites, help for residents, a way that is not online."),
    ),
)
DIMENSION_BY_ID = {d.id: d for d in DIMENSIONS}

QUESTIONS = (
    # --- strategy and governance
    Question(
        "strategy.plan",
        "strategy",
        _("The authority has a digital strategy (IT master plan) with objectives."),
        (
            _("No written strategy: projects come one by one."),
            _("Intentions are written down, without objectives or a timetable."),
            _("A plan with objectives exists and projects refer to it."),
            _("The plan's objectives carry nearly every project, and it is reviewed each year."),
        ),
        _(
            "Write an IT master plan (schéma directeur numérique) of a few objectives, record "
            "them in the portfolio and attach each project to one."
        ),
        measures.MASTER_PLAN,
    ),
    Question(
        "strategy.steering",
        "strategy",
        _("Elected officials and the management steer the digital transformation."),
        (
            _("Nobody is in charge of it among the elected officials or the management."),
            _("An elected official is in charge, but the subject comes up only now and then."),
            _("An elected official and the director-general follow it at regular meetings."),
            _("A steering committee arbitrates the projects and follows their results."),
        ),
        _(
            "Name an elected official in charge of digital matters and hold a steering "
            "committee with the director-general at least each quarter."
        ),
    ),
    Question(
        "strategy.value",
        "strategy",
        _("Digital projects are chosen on their value, costs and risks."),
        (
            _("Projects are started without any analysis."),
            _("Some projects get an analysis of their value."),
            _("Most projects get a value analysis before they are decided."),
            _("Every project is analysed and the portfolio is prioritised on value and capacity."),
        ),
        _("Fill in the value analysis of each open project of the portfolio before arbitrating."),
        measures.VALUE_ANALYSIS,
    ),
    Question(
        "strategy.budget",
        "strategy",
        _("Digital matters have a budget planned over several years."),
        (
            _("No budget of their own: expenses are found case by case."),
            _("A yearly budget line, without a multi-year view."),
            _("A yearly budget that includes the running costs of the tools."),
            _("A multi-year programme covers investment and running costs, and is followed."),
        ),
        _(
            "Plan the investment and running costs of the digital projects over the mandate, "
            "and review them at each budget."
        ),
    ),
    # --- organisation and skills
    Question(
        "organisation.lead",
        "organisation",
        _("Someone is in charge of digital matters."),
        (
            _("Nobody: each service manages on its own."),
            _("An agent does it beside other duties."),
            _("A digital officer, an IT department or a shared service of the intercommunality."),
            _("A team with a clear mandate, data included (a chief data officer or equivalent)."),
        ),
        _(
            "Give digital matters an identified owner, possibly shared with the "
            "intercommunality or a public IT operator."
        ),
    ),
    Question(
        "organisation.skills",
        "organisation",
        _("Agents are trained in the digital tools they use."),
        (
            _("No training is offered."),
            _("Training only when a new tool is installed."),
            _("The yearly training plan includes digital skills."),
            _("Skills are assessed (e.g. with Pix) and each agent has a training path."),
        ),
        _("Add digital skills to the training plan: the CNFPT and Pix offer paths for agents."),
    ),
    Question(
        "organisation.change",
        "organisation",
        _("Projects come with change management (workshops, training, communication)."),
        (
            _("Never: tools are delivered and left to their users."),
            _("For a few projects."),
            _("For a third of the projects or more."),
            _("For nearly every project, planned from the start with the users."),
        ),
        _(
            "Plan workshops, training and communication for each project from its start, and "
            "follow their progress in the portfolio."
        ),
        measures.CHANGE_MANAGEMENT,
    ),
    Question(
        "organisation.pooling",
        "organisation",
        _("Tools and skills are pooled with other authorities."),
        (
            _("Nothing is pooled."),
            _("Some purchases are grouped."),
            _("Tools or experts are shared with the intercommunality or a public operator."),
            _("A shared service runs common tools and skills for its members."),
        ),
        _(
            "See what the intercommunality, the department's IT syndicate or a public operator "
            "already runs before buying alone."
        ),
    ),
    # --- infrastructure and security
    Question(
        "infrastructure.security",
        "infrastructure",
        _("Information security is managed."),
        (
            _("No security rules."),
            _("Basic measures (antivirus, passwords) without a policy."),
            _("A security policy is written and a person is in charge of it."),
            _("The policy is applied and checked: audits, exercises, an incident plan."),
        ),
        _(
            "Write a security policy with the ANSSI's guides for local authorities, name "
            "someone in charge and follow the Cybermalveillance.gouv.fr checklists."
        ),
    ),
    Question(
        "infrastructure.backup",
        "infrastructure",
        _("Backups are made and restoring them is tested."),
        (
            _("No regular backup."),
            _("Backups are made but restoring them is never tested."),
            _("Backups are kept off-site and restoring is tested at least once a year."),
            _("A recovery plan for the essential services is written and rehearsed."),
        ),
        _("Keep an off-line or off-site copy of the backups and test restoring it every year."),
    ),
    Question(
        "infrastructure.access",
        "infrastructure",
        _("Agents' access to the applications is controlled."),
        (
            _("Shared accounts and passwords."),
            _("Personal accounts, but rights are rarely reviewed."),
            _("Personal accounts, rights reviewed when agents arrive or leave."),
            _("Single sign-on with strong authentication (e.g. ProConnect), regular reviews."),
        ),
        _(
            "Give each agent a personal account, review rights when agents arrive or leave, "
            "and use ProConnect where the applications accept it."
        ),
    ),
    Question(
        "infrastructure.automation",
        "infrastructure",
        _("Data flows between the applications are automated."),
        (
            _("Data is re-keyed or exported by hand."),
            _("A few flows run by themselves."),
            _("A third of the flows or more run by themselves."),
            _("Nearly every flow runs by itself and is watched."),
        ),
        _(
            "Schedule the sources in “Data sources” (or let the worker watch a folder), so "
            "that exports arrive without anyone sending them again."
        ),
        measures.AUTOMATION,
    ),
    # --- data
    Question(
        "data.ownership",
        "data",
        _("Datasets are inventoried, each with someone who answers for it."),
        (
            _("No inventory, or hardly any dataset has an owner."),
            _("An inventory exists; a quarter of the datasets or more have an owner."),
            _("Half of the datasets or more have an owner."),
            _("Nearly every dataset has an owner who keeps its description up to date."),
        ),
        _("Give each dataset of the catalog a referent or an owner service."),
        measures.OWNERSHIP,
    ),
    Question(
        "data.quality",
        "data",
        _("The quality of the data is checked."),
        (
            _("Never, or only when a figure is found wrong."),
            _("Some tables pass their checks; problems remain."),
            _("Most tables pass their checks."),
            _("Nearly every table passes its checks; problems are fixed at the source."),
        ),
        _(
            "Look at the failed checks in the catalog and fix them at the source, starting "
            "with the tables the dashboards read."
        ),
        measures.QUALITY,
    ),
    Question(
        "data.open",
        "data",
        _("Public data is published as open data."),
        (
            _("Nothing is published."),
            _("A few datasets are published."),
            _("Several datasets are published, at least half of them up to date and valid."),
            _("Many datasets are published, nearly all up to date and valid (e.g. the SCDL)."),
        ),
        _(
            "Publish the datasets of the Socle commun des données locales (SCDL) first, and "
            "keep them up to date and valid."
        ),
        measures.OPEN_DATA,
    ),
    Question(
        "data.protection",
        "data",
        _("Personal data is protected (GDPR)."),
        (
            _("No record of processing, no data protection officer."),
            _("A data protection officer is named; the register is incomplete."),
            _("The register is kept up to date for the main processing."),
            _("The register is complete and impact assessments are made where needed."),
        ),
        _(
            "Complete the register of processing in the catalog and have the data protection "
            "officer review it every year."
        ),
    ),
    # --- online services and usages
    Question(
        "services.online",
        "services",
        _("Residents make their requests online."),
        (
            _("Seldom: under 15 % of the requests."),
            _("Sometimes: 15 to 30 % of the requests."),
            _("Often: 30 to 50 % of the requests."),
            _("Mostly: 50 % of the requests or more."),
        ),
        _(
            "Offer the most frequent requests online (a form, an app, an Open311 server) and "
            "tell residents about them."
        ),
        measures.ONLINE_SHARE,
    ),
    Question(
        "services.procedures",
        "services",
        _("The main procedures can be done online from start to end."),
        (
            _("None."),
            _("A few, or only forms to download."),
            _("Most frequent procedures: civil status, town planning, school, payments."),
            _("Nearly all, and residents follow the progress of their request online."),
        ),
        _(
            "Put the frequent procedures online with the State's tools (Démarches simplifiées, "
            "the town-planning portal, PayFiP) before building your own."
        ),
    ),
    Question(
        "services.on_time",
        "services",
        _("Requests are handled within their target delays."),
        (
            _("Under 60 % on time."),
            _("60 to 75 % on time."),
            _("75 to 90 % on time."),
            _("90 % on time or more."),
        ),
        _(
            "Set a target delay per theme in “Services and themes” and look each month at the "
            "requests past their target."
        ),
        measures.ON_TIME,
    ),
    Question(
        "services.feedback",
        "services",
        _("Users' satisfaction is measured and acted on."),
        (
            _("Never measured."),
            _("Measured now and then."),
            _("Measured regularly for the main services."),
            _("Measured regularly and published, with the improvements made."),
        ),
        _(
            "Ask users their opinion after a procedure (e.g. the “Je donne mon avis” button) "
            "and publish what changed."
        ),
    ),
    # --- inclusion and accessibility
    Question(
        "inclusion.statement",
        "inclusion",
        _("An accessibility statement is published."),
        (
            _("No statement."),
            _("A statement is published: not compliant."),
            _("A statement is published: partially compliant."),
            _("A statement is published: fully compliant."),
        ),
        _(
            "Publish the accessibility statement (RGAA) in Pilotis's administration, even "
            "before any audit."
        ),
        measures.STATEMENT,
    ),
    Question(
        "inclusion.audit",
        "inclusion",
        _("Accessibility is audited and improved."),
        (
            _("No audit."),
            _("An audit, but old or meeting under half of the criteria."),
            _("A recent audit meeting half of the criteria or more."),
            _("A recent audit meeting three quarters of the criteria, and a multi-year plan."),
        ),
        _(
            "Have the main sites audited against the RGAA, publish a multi-year plan and fix "
            "the criteria step by step."
        ),
        measures.AUDIT,
    ),
    Question(
        "inclusion.mediation",
        "inclusion",
        _("Residents can get help with digital procedures."),
        (
            _("No help."),
            _("Occasional help at the counter."),
            _("Regular sessions (digital advisers, France services) known to the agents."),
            _("A mediation network covers the territory and agents direct residents to it."),
        ),
        _(
            "Work with the conseillers numériques and the France services nearby, and train "
            "the counter agents to direct residents to them."
        ),
    ),
    Question(
        "inclusion.alternatives",
        "inclusion",
        _("Every procedure keeps a way that is not online."),
        (
            _("Some procedures are online only."),
            _("An alternative exists but is hard to find."),
            _("Each procedure can be done at the counter or by phone."),
            _("Each can also be done with an agent's help, and every online form says so."),
        ),
        _("Keep a counter or telephone way for each procedure and say so on each online form."),
    ),
)
QUESTION_BY_ID = {q.id: q for q in QUESTIONS}


def questions_of(dimension: str) -> list[Question]:
    return [q for q in QUESTIONS if q.dimension == dimension]


# --- measuring and scoring --------------------------------------------------------------------


def measure_all(tenant: Tenant, on: date | None = None) -> dict[str, dict[str, Any]]:
    """What Pilotis measures of `tenant` at the date `on` (today by default), per measured
    question: `{level, value, facts}`, or `{level: None, reason, params}` when it cannot."""
    on = on or timezone.localdate()
    return {
        q.id: q.indicator.run(tenant, on).stored() for q in QUESTIONS if q.indicator is not None
    }


def is_measured(entry: Mapping[str, Any] | None) -> bool:
    return entry is not None and entry.get("level") is not None


def levels(answers: Mapping[str, int], measured: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """The level of each question: measured where Pilotis could, else as answered."""
    out = {}
    for q in QUESTIONS:
        entry = measured.get(q.id)
        if entry is not None and entry.get("level") is not None:
            out[q.id] = int(entry["level"])
        elif q.id in answers:
            out[q.id] = int(answers[q.id])
    return out


def dimension_scores(question_levels: Mapping[str, int]) -> dict[str, int]:
    """Each dimension's mean level over its questions, as 0–100."""
    scores = {}
    for dimension in DIMENSIONS:
        values = [question_levels.get(q.id, 0) for q in questions_of(dimension.id)]
        scores[dimension.id] = round(100 * sum(values) / (3 * len(values)))
    return scores


def overall(scores: Mapping[str, float]) -> int | None:
    values = [scores[d.id] for d in DIMENSIONS if scores.get(d.id) is not None]
    return round(mean(values)) if values else None


def assess(
    tenant: Tenant,
    answers: Mapping[str, int],
    user: AbstractBaseUser | AnonymousUser | None = None,
    *,
    on: date | None = None,
    measured: Mapping[str, Mapping[str, Any]] | None = None,
) -> MaturityAssessment:
    """Record an assessment of `tenant` at `on` (today by default): the measured questions take
    their measured level, the others the level answered. `measured` is what `measure_all` gave,
    when the caller already has it (the form shows it before it is sent).

    Raises MaturityError when a question that could not be measured has no answer 0–3."""
    on = on or timezone.localdate()
    found = dict(measure_all(tenant, on) if measured is None else measured)
    kept: dict[str, int] = {}
    for q in QUESTIONS:
        if is_measured(found.get(q.id)):
            continue
        level = answers.get(q.id)
        if level not in LEVELS:
            raise MaturityError(
                _("The question “%(question)s” needs an answer from 0 to 3."), question=q.text
            )
        kept[q.id] = int(level)  # type: ignore[arg-type] # checked just above
    return MaturityAssessment.objects.create(
        tenant=tenant,
        assessed_on=on,
        answers=kept,
        measured=found,
        scores=dimension_scores(levels(kept, found)),
        created_by=user if isinstance(user, User) else None,
    )


# --- reading assessments ----------------------------------------------------------------------


def history(tenant: Tenant) -> list[MaturityAssessment]:
    """The tenant's assessments, oldest first."""
    return list(
        MaturityAssessment.objects.filter(tenant=tenant).order_by("assessed_on", "created_at")
    )


def latest(tenant: Tenant) -> MaturityAssessment | None:
    return MaturityAssessment.objects.filter(tenant=tenant).order_by("-assessed_on", "-id").first()


def latest_of(tenants: Iterable[Tenant]) -> dict[int, MaturityAssessment]:
    """The latest assessment of each tenant that has one, by tenant id."""
    found: dict[int, MaturityAssessment] = {}
    ids = [t.pk for t in tenants]
    found_all = MaturityAssessment.objects.filter(tenant_id__in=ids).select_related("tenant")
    for assessment in found_all.order_by("tenant_id", "-assessed_on", "-id"):
        found.setdefault(assessment.tenant_id, assessment)
    return found


@dataclass(frozen=True)
class Recommendation:
    dimension: Dimension
    score: int
    steps: list[tuple[Question, int]]  # the questions to work on, lowest level first


def recommendations(assessment: MaturityAssessment) -> list[Recommendation]:
    """For each dimension scoring under 50, what to do first: the dimension's advice, then the
    questions under level 2, the lowest first. Strong dimensions get none."""
    question_levels = levels(assessment.answers, assessment.measured)
    out = []
    for dimension in DIMENSIONS:
        score = assessment.scores.get(dimension.id)
        if score is None or score >= WEAK_BELOW:
            continue
        steps = sorted(
            (
                (q, question_levels.get(q.id, 0))
                for q in questions_of(dimension.id)
                if question_levels.get(q.id, 0) < ADVISED_BELOW
            ),
            key=lambda pair: pair[1],
        )
        out.append(Recommendation(dimension, int(score), steps))
    return out


@dataclass(frozen=True)
class Line:
    """One question of an assessment as the page, the PDF and the workbook show it."""

    question: Question
    level: int | None
    measured: bool
    text: str  # the measured figure, or why it could not be measured (empty when never tried)

    @property
    def dimension(self) -> Dimension:
        return DIMENSION_BY_ID[self.question.dimension]

    @property
    def label(self) -> str:
        return level_label(self.question, self.level)


def lines(assessment: MaturityAssessment) -> list[Line]:
    question_levels = levels(assessment.answers, assessment.measured)
    out = []
    for q in QUESTIONS:
        entry = assessment.measured.get(q.id)
        text = "" if entry is None or q.indicator is None else measures.describe(entry, q.indicator)
        out.append(Line(q, question_levels.get(q.id), is_measured(entry), text))
    return out


def level_label(question: Question, level: int | None) -> str:
    return "" if level is None else str(question.levels[level])
