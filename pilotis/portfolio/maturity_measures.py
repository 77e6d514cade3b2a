"""What Pilotis measures of a tenant's digital maturity from the tenant's own data, instead of
asking: each indicator reads one source (the requests in the warehouse, the catalog, the
connectors, the accessibility statement, the portfolio), turns its figure into a level 0–3 by
stated thresholds, or says why it cannot (no data, too little, no history for a past date).

A measurement is kept in `MaturityAssessment.measured` as plain JSON — the level, the figure and
the numbers its sentence needs, or a reason code and its parameters — and turned into text when
shown, so that the same assessment reads in French and in English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotis.errors import PilotisError
from pilotis.requests.indicators import DEFAULT_TARGET_DAYS
from pilotis.requests.page import num, pct
from pilotis.tenants.access import data_scope
from pilotis.tenants.models import Tenant

PARIS = ZoneInfo("Europe/Paris")
MIN_REQUESTS = 50  # below, a share of requests says more about chance than about the tenant
ONLINE_CHANNELS = ("web", "mobile")
AUDIT_VALID_YEARS = 3  # an RGAA audit older than this no longer describes the sites


@dataclass(frozen=True)
class Measurement:
    level: int
    value: float | None  # the figure the level comes from
    facts: dict[str, Any] = field(default_factory=dict)  # numbers and codes the sentence needs

    def stored(self) -> dict[str, Any]:
        return {"level": self.level, "value": self.value, "facts": self.facts}


@dataclass(frozen=True)
class NotMeasured:
    reason: str  # a key of REASONS
    params: dict[str, Any] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {"level": None, "reason": self.reason, "params": self.params}


Outcome = Measurement | NotMeasured

REASONS: dict[str, Promise] = {
    "no_history": gettext_lazy(
        "Pilotis keeps only the present state of this source, not its history: it cannot be "
        "measured for a past date."
    ),
    "too_few_requests": gettext_lazy(
        "Only %(count)s citizen requests in the warehouse over the 12 months; at least "
        "%(minimum)s are needed for a share to mean something. Load your requests in “Data "
        "sources”."
    ),
    "too_few_handled": gettext_lazy(
        "Only %(count)s citizen requests closed or past their target over the 12 months; at "
        "least %(minimum)s are needed for a share to mean something."
    ),
    "no_channel": gettext_lazy(
        "The citizen requests loaded do not say through which channel they were made."
    ),
    "no_statement": gettext_lazy(
        "No accessibility statement of your own in Pilotis (Administration): the instance's "
        "statement does not describe your sites."
    ),
    "no_open_data": gettext_lazy(
        "No dataset of the catalog is marked as open data: Pilotis cannot tell whether you "
        "publish elsewhere."
    ),
    "no_quality_checks": gettext_lazy(
        "No table of the catalog had been checked at that date: load data through “Data "
        "sources” and Pilotis checks it."
    ),
    "empty_catalog": gettext_lazy("The data catalog has no entry yet."),
    "no_sources": gettext_lazy("No data source is configured in “Data sources”."),
    "no_master_plan": gettext_lazy(
        "No objective of an IT master plan is recorded in the portfolio."
    ),
    "no_open_projects": gettext_lazy("The portfolio has no open project."),
    "no_running_projects": gettext_lazy("The portfolio has no project in progress or done."),
    "source_error": gettext_lazy("The source could not be read: %(error)s"),
}


@dataclass(frozen=True)
class Indicator:
    """One measured question: where its figure comes from, the thresholds that make the level,
    how to measure it at a date, and how to say the figure."""

    slug: str
    source: Promise
    rule: Promise
    measure: Callable[[Tenant, date], Outcome]
    describe: Callable[[dict[str, Any]], str]
    historical: bool = False  # can it be measured at a past date?

    def run(self, tenant: Tenant, on: date) -> Outcome:
        if not self.historical and on < timezone.localdate():
            return NotMeasured("no_history")
        try:
            return self.measure(tenant, on)
        except (PilotisError, duckdb.Error) as error:  # a broken source is said, not a 500
            return NotMeasured("source_error", {"error": str(error)})


def by_thresholds(value: float, thresholds: tuple[float, float, float]) -> int:
    """0 below the first threshold, 1 below the second, 2 below the third, else 3."""
    return sum(1 for t in thresholds if value >= t)


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def describe(stored: dict[str, Any], indicator: Indicator) -> str:
    """The sentence of a stored measurement, or why there is none, in the active language."""
    if stored.get("level") is None:
        return reason_text(stored)
    return indicator.describe(stored.get("facts", {}))


def reason_text(stored: dict[str, Any]) -> str:
    reason = REASONS.get(stored.get("reason", ""))
    if reason is None:
        return _("Not measured.")
    params = stored.get("params") or {}
    return str(reason) % params if params else str(reason)


# --- citizen requests (warehouse) -------------------------------------------------------------


def _year_to(on: date) -> tuple[date, date]:
    return on - timedelta(days=364), on


def _as_of(on: date) -> datetime:
    """The end of the day `on` (Paris), or now if that is later than now."""
    end = datetime.combine(on + timedelta(days=1), time(0), PARIS).astimezone(UTC)
    return min(end, datetime.now(UTC))


def _evaluate(slug: str, tenant: Tenant, on: date, by: str | None = None) -> list[dict[str, Any]]:
    from pilotis.metrics.registry import Query, evaluate

    start, end = _year_to(on)
    return evaluate(slug, Query(data_scope(tenant), start, end, by=by, as_of=_as_of(on))).rows


def _online_share(tenant: Tenant, on: date) -> Outcome:
    rows = _evaluate("requests.volume", tenant, on, by="channel")
    total = int(rows[0]["value"] or 0)
    if total < MIN_REQUESTS:
        return NotMeasured("too_few_requests", {"count": total, "minimum": MIN_REQUESTS})
    by_channel = {r["key"]: int(r["value"] or 0) for r in rows[1:]}
    known = total - by_channel.get(None, 0)
    if known == 0:
        return NotMeasured("no_channel")
    online = sum(by_channel.get(c, 0) for c in ONLINE_CHANNELS)
    ratio = share(online, known)
    start, end = _year_to(on)
    return Measurement(
        by_thresholds(ratio, (0.15, 0.30, 0.50)),
        round(ratio, 4),
        {
            "online": online,
            "known": known,
            "unknown": total - known,
            "web": by_channel.get("web", 0),
            "mobile": by_channel.get("mobile", 0),
            "start": start.isoformat(),
            "end": end.isoformat(),
        },
    )


def _say_online(facts: dict[str, Any]) -> str:
    text = _(
        "%(share)s of the %(known)s requests whose channel is known were made on the web or "
        "the app (web %(web)s, app %(mobile)s), from %(start)s to %(end)s."
    ) % {
        "share": pct(share(facts["online"], facts["known"])),
        "known": num(facts["known"]),
        "web": num(facts["web"]),
        "mobile": num(facts["mobile"]),
        "start": _day(facts["start"]),
        "end": _day(facts["end"]),
    }
    if facts.get("unknown"):
        text += " " + _("%(count)s requests without a channel are left out.") % {
            "count": num(facts["unknown"])
        }
    return text


def _on_time(tenant: Tenant, on: date) -> Outcome:
    from pilotis.requests.metrics import targets_for

    total = _evaluate("requests.on_time_rate", tenant, on)[0]
    on_time = int(total.get("closed_on_time") or 0)
    counted = on_time + int(total.get("closed_late") or 0) + int(total.get("open_overdue") or 0)
    if counted < MIN_REQUESTS or total.get("value") is None:
        return NotMeasured("too_few_handled", {"count": counted, "minimum": MIN_REQUESTS})
    ratio = float(total["value"])
    return Measurement(
        by_thresholds(ratio, (0.60, 0.75, 0.90)),
        round(ratio, 4),
        {
            "on_time": on_time,
            "counted": counted,
            "own_targets": bool(targets_for(data_scope(tenant))),
        },
    )


def _say_on_time(facts: dict[str, Any]) -> str:
    text = _("%(share)s of %(counted)s requests were handled within their target delay.") % {
        "share": pct(share(facts["on_time"], facts["counted"])),
        "counted": num(facts["counted"]),
    }
    if facts.get("own_targets"):
        return text + " " + _("Targets: those set per theme in “Services and themes”.")
    return (
        text
        + " "
        + _("Targets: none set per theme, so %(days)s days for every request.")
        % {"days": num(DEFAULT_TARGET_DAYS)}
    )


# --- accessibility statement ------------------------------------------------------------------


def _statement_of(tenant: Tenant) -> Any:
    from pilotis.shell.models import AccessibilityStatement

    return AccessibilityStatement.objects.filter(tenant=tenant).first()


def _statement(tenant: Tenant, on: date) -> Outcome:
    from pilotis.shell.models import AccessibilityStatement

    statement = _statement_of(tenant)
    if statement is None:
        return NotMeasured("no_statement")
    compliance = AccessibilityStatement.Compliance
    levels = {compliance.NONE: 1, compliance.PARTIAL: 2, compliance.FULL: 3}
    return Measurement(
        levels.get(statement.compliance, 1),
        None if statement.audit_rate is None else float(statement.audit_rate),
        {
            "compliance": statement.compliance,
            "rate": None if statement.audit_rate is None else float(statement.audit_rate),
            "date": statement.statement_date.isoformat() if statement.statement_date else None,
        },
    )


def _compliance_label(code: str) -> str:
    from pilotis.shell.models import AccessibilityStatement

    return str(AccessibilityStatement.Compliance(code).label)


def _say_statement(facts: dict[str, Any]) -> str:
    text = _("A statement is published: %(compliance)s.") % {
        "compliance": _compliance_label(facts["compliance"])
    }
    if facts.get("rate") is not None:
        text += " " + _("%(rate)s of the RGAA criteria are met.") % {
            "rate": pct(facts["rate"] / 100)
        }
    if facts.get("date"):
        text += " " + _("Statement of %(date)s.") % {"date": _day(facts["date"])}
    return text


def _audit(tenant: Tenant, on: date) -> Outcome:
    statement = _statement_of(tenant)
    if statement is None:
        return NotMeasured("no_statement")
    rate = None if statement.audit_rate is None else float(statement.audit_rate)
    audited = statement.audit_date
    recent = audited is not None and audited >= on.replace(year=on.year - AUDIT_VALID_YEARS)
    has_plan = bool(statement.multi_year_plan_url)
    if audited is None and rate is None:
        level = 0
    elif not recent or rate is None or rate < 50:
        level = 1
    elif rate >= 75 and has_plan:
        level = 3
    else:
        level = 2
    return Measurement(
        level,
        rate,
        {
            "rate": rate,
            "date": audited.isoformat() if audited else None,
            "recent": recent,
            "plan": has_plan,
        },
    )


def _say_audit(facts: dict[str, Any]) -> str:
    if facts.get("date") is None and facts.get("rate") is None:
        return _("The statement mentions no audit.")
    parts = []
    if facts.get("date"):
        parts.append(_("Audit of %(date)s.") % {"date": _day(facts["date"])})
        if not facts.get("recent"):
            parts.append(_("It is more than %(years)s years old.") % {"years": AUDIT_VALID_YEARS})
    else:
        parts.append(_("The date of the audit is not given."))
    if facts.get("rate") is not None:
        parts.append(_("%(rate)s of the criteria met.") % {"rate": pct(facts["rate"] / 100)})
    parts.append(_("Multi-year plan published.") if facts.get("plan") else _("No multi-year plan."))
    return " ".join(parts)


# --- data catalog -----------------------------------------------------------------------------


def _open_data(tenant: Tenant, on: date) -> Outcome:
    from pilotis.catalog.models import Dataset, QualityStatus

    datasets = list(Dataset.objects.filter(tenant=tenant, open_data=True))
    if not datasets:
        return NotMeasured("no_open_data")
    valid = sum(1 for d in datasets if d.quality_status == QualityStatus.PASSED and not d.is_stale)
    ratio = share(valid, len(datasets))
    if len(datasets) >= 5 and ratio >= 0.9:
        level = 3
    elif len(datasets) >= 3 and ratio >= 0.5:
        level = 2
    else:
        level = 1
    return Measurement(level, float(len(datasets)), {"open": len(datasets), "valid": valid})


def _say_open_data(facts: dict[str, Any]) -> str:
    return _(
        "%(open)s datasets of the catalog are open data; %(valid)s of them are up to date and "
        "pass their quality checks."
    ) % {"open": num(facts["open"]), "valid": num(facts["valid"])}


def _quality(tenant: Tenant, on: date) -> Outcome:
    """The last result of each check of each warehouse table known at the end of `on`: the
    check history is kept, so this works for past dates too."""
    from pilotis.catalog.models import Kind, QualityCheck

    checks = (
        QualityCheck.objects.filter(
            dataset__tenant=tenant, dataset__kind=Kind.TABLE, at__lt=_as_of(on)
        )
        .order_by("dataset_id", "name", "-at", "-pk")
        .values_list("dataset_id", "name", "passed")
    )
    latest: dict[tuple[int, str], bool] = {}
    for dataset_id, name, passed in checks:
        latest.setdefault((dataset_id, name), passed)
    if not latest:
        return NotMeasured("no_quality_checks")
    tables: dict[int, bool] = {}
    for (dataset_id, _name), passed in latest.items():
        tables[dataset_id] = tables.get(dataset_id, True) and passed
    passing = sum(tables.values())
    ratio = share(passing, len(tables))
    return Measurement(
        by_thresholds(ratio, (0.25, 0.60, 0.90)),
        round(ratio, 4),
        {"passing": passing, "checked": len(tables)},
    )


def _say_quality(facts: dict[str, Any]) -> str:
    return _("%(passing)s of the %(checked)s tables checked pass all their latest checks.") % {
        "passing": num(facts["passing"]),
        "checked": num(facts["checked"]),
    }


def _ownership(tenant: Tenant, on: date) -> Outcome:
    from pilotis.catalog.models import Dataset

    datasets = Dataset.objects.filter(tenant=tenant)
    total = datasets.count()
    if total == 0:
        return NotMeasured("empty_catalog")
    owned = datasets.filter(
        Q(referent__isnull=False) | Q(owner_unit__isnull=False) | ~Q(referent_name="")
    ).count()
    ratio = share(owned, total)
    return Measurement(
        by_thresholds(ratio, (0.25, 0.50, 0.90)),
        round(ratio, 4),
        {"owned": owned, "datasets": total},
    )


def _say_ownership(facts: dict[str, Any]) -> str:
    return _(
        "%(owned)s of the %(datasets)s catalog entries have a referent or an owner service."
    ) % {
        "owned": num(facts["owned"]),
        "datasets": num(facts["datasets"]),
    }


# --- connectors -------------------------------------------------------------------------------


def _automation(tenant: Tenant, on: date) -> Outcome:
    from pilotis.connectors.models import Source

    sources = list(Source.objects.filter(tenant=tenant, enabled=True))
    if not sources:
        return NotMeasured("no_sources")
    automated = sum(
        1
        for s in sources
        if s.schedule_minutes > 0 or (s.kind == "file" and bool((s.config or {}).get("watch")))
    )
    ratio = share(automated, len(sources))
    level = 0 if automated == 0 else by_thresholds(ratio, (0.0, 0.34, 0.67))
    return Measurement(level, round(ratio, 4), {"automated": automated, "sources": len(sources)})


def _say_automation(facts: dict[str, Any]) -> str:
    return _(
        "%(automated)s of the %(sources)s enabled sources load by themselves (on a schedule or "
        "from a watched folder)."
    ) % {"automated": num(facts["automated"]), "sources": num(facts["sources"])}


# --- portfolio --------------------------------------------------------------------------------


def _open_projects(tenant: Tenant) -> Any:
    from pilotis.portfolio.models import OPEN_STATUSES, Project

    return Project.objects.filter(tenant=tenant, status__in=OPEN_STATUSES)


def _master_plan(tenant: Tenant, on: date) -> Outcome:
    from pilotis.portfolio.models import PlanObjective

    objectives = PlanObjective.objects.filter(
        tenant=tenant, plan=PlanObjective.Plan.IT_MASTER
    ).count()
    if objectives == 0:
        return NotMeasured("no_master_plan")
    projects = _open_projects(tenant)
    total = projects.count()
    linked = projects.filter(objectives__isnull=False).distinct().count()
    ratio = share(linked, total)
    return Measurement(
        3 if total and ratio >= 0.75 else 2,
        round(ratio, 4),
        {"objectives": objectives, "linked": linked, "projects": total},
    )


def _say_master_plan(facts: dict[str, Any]) -> str:
    return _(
        "%(objectives)s objectives of the IT master plan are recorded; %(linked)s of the "
        "%(projects)s open projects serve an objective."
    ) % {
        "objectives": num(facts["objectives"]),
        "linked": num(facts["linked"]),
        "projects": num(facts["projects"]),
    }


def _value_analysis(tenant: Tenant, on: date) -> Outcome:
    projects = list(_open_projects(tenant).only("value_marks"))
    if not projects:
        return NotMeasured("no_open_projects")
    analysed = sum(1 for p in projects if p.value_marks)
    ratio = share(analysed, len(projects))
    level = 0 if analysed == 0 else by_thresholds(ratio, (0.0, 0.40, 0.80))
    return Measurement(level, round(ratio, 4), {"analysed": analysed, "projects": len(projects)})


def _say_value_analysis(facts: dict[str, Any]) -> str:
    return _("%(analysed)s of the %(projects)s open projects have a value analysis.") % {
        "analysed": num(facts["analysed"]),
        "projects": num(facts["projects"]),
    }


def _change_management(tenant: Tenant, on: date) -> Outcome:
    from pilotis.portfolio.models import Project, Status

    projects = Project.objects.filter(tenant=tenant, status__in=(Status.IN_PROGRESS, Status.DONE))
    total = projects.count()
    if total == 0:
        return NotMeasured("no_running_projects")
    changed = projects.filter(change_actions__isnull=False).distinct().count()
    ratio = share(changed, total)
    level = 0 if changed == 0 else by_thresholds(ratio, (0.0, 0.34, 0.67))
    return Measurement(level, round(ratio, 4), {"changed": changed, "projects": total})


def _say_change_management(facts: dict[str, Any]) -> str:
    return _(
        "%(changed)s of the %(projects)s projects in progress or done have change-management "
        "actions (workshops, training, communication)."
    ) % {"changed": num(facts["changed"]), "projects": num(facts["projects"])}


def _day(iso: str) -> str:
    from django.utils.formats import date_format

    return date_format(date.fromisoformat(iso), "j F Y")


REQUESTS_SOURCE = gettext_lazy("Citizen requests in the warehouse, the 12 months up to the date")
STATEMENT_SOURCE = gettext_lazy("Accessibility statement (Administration)")
CATALOG_SOURCE = gettext_lazy("Data catalog")
PORTFOLIO_SOURCE = gettext_lazy("Digital projects (portfolio)")

ONLINE_SHARE = Indicator(
    "online_share",
    REQUESTS_SOURCE,
    gettext_lazy(
        "Requests made on the web or the app ÷ requests whose channel is known: under 15 % → 0, "
        "15 % → 1, 30 % → 2, 50 % or more → 3."
    ),
    _online_share,
    _say_online,
    historical=True,
)
ON_TIME = Indicator(
    "on_time",
    REQUESTS_SOURCE,
    gettext_lazy(
        "Requests handled within their target ÷ requests closed or past their target: under "
        "60 % → 0, 60 % → 1, 75 % → 2, 90 % or more → 3."
    ),
    _on_time,
    _say_on_time,
    historical=True,
)
STATEMENT = Indicator(
    "statement",
    STATEMENT_SOURCE,
    gettext_lazy(
        "Statement not compliant → 1, partially compliant → 2, fully compliant → 3; without a "
        "statement in Pilotis the question is asked."
    ),
    _statement,
    _say_statement,
)
AUDIT = Indicator(
    "audit",
    STATEMENT_SOURCE,
    gettext_lazy(
        "No audit → 0; an audit older than 3 years or meeting under 50 % of the criteria → 1; a "
        "recent audit meeting 50 % → 2; 75 % or more with a multi-year plan → 3."
    ),
    _audit,
    _say_audit,
)
OPEN_DATA = Indicator(
    "open_data",
    CATALOG_SOURCE,
    gettext_lazy(
        "At least one open dataset → 1; at least 3, half of them up to date and valid → 2; at "
        "least 5, 90 % of them up to date and valid → 3."
    ),
    _open_data,
    _say_open_data,
)
QUALITY = Indicator(
    "quality",
    gettext_lazy("Data catalog: quality checks of the warehouse tables"),
    gettext_lazy(
        "Tables passing all their latest checks ÷ tables checked: under 25 % → 0, 25 % → 1, "
        "60 % → 2, 90 % or more → 3."
    ),
    _quality,
    _say_quality,
    historical=True,
)
OWNERSHIP = Indicator(
    "ownership",
    CATALOG_SOURCE,
    gettext_lazy(
        "Catalog entries with a referent or an owner service ÷ all entries: under 25 % → 0, "
        "25 % → 1, 50 % → 2, 90 % or more → 3."
    ),
    _ownership,
    _say_ownership,
)
AUTOMATION = Indicator(
    "automation",
    gettext_lazy("Data sources (connectors)"),
    gettext_lazy(
        "Enabled sources loading by themselves ÷ enabled sources: none → 0, some → 1, a third "
        "→ 2, two thirds or more → 3."
    ),
    _automation,
    _say_automation,
)
MASTER_PLAN = Indicator(
    "master_plan",
    PORTFOLIO_SOURCE,
    gettext_lazy(
        "Objectives of an IT master plan recorded → 2; and three quarters of the open projects "
        "serving an objective → 3; without objectives the question is asked."
    ),
    _master_plan,
    _say_master_plan,
)
VALUE_ANALYSIS = Indicator(
    "value_analysis",
    PORTFOLIO_SOURCE,
    gettext_lazy(
        "Open projects with a value analysis ÷ open projects: none → 0, some → 1, 40 % → 2, "
        "80 % or more → 3."
    ),
    _value_analysis,
    _say_value_analysis,
)
CHANGE_MANAGEMENT = Indicator(
    "change_management",
    PORTFOLIO_SOURCE,
    gettext_lazy(
        "Projects in progress or done with change-management actions ÷ those projects: none → "
        "0, some → 1, a third → 2, two thirds or more → 3."
    ),
    _change_management,
    _say_change_management,
)
