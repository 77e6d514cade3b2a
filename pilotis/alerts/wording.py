"""What an alert says, in plain words (French through the catalogue): « Délai médian de
clôture : 12,4 jours sur les 12 derniers mois, au-dessus du seuil de 10 jours. »"""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilotis.alerts.models import AlertRule, Comparison
from pilotis.metrics import registry
from pilotis.metrics.display import display
from pilotis.metrics.registry import PeriodKind


def label_of(rule: AlertRule) -> str:
    """The indicator's label, with what the rule narrows it to."""
    metric = registry.METRICS.get(rule.metric)
    label = str(metric.label) if metric is not None else rule.metric
    narrowed = [f"{dim} = {', '.join(map(str, values))}" for dim, values in rule.filters.items()]
    if rule.dimension and rule.value:
        narrowed.append(f"{rule.dimension} = {rule.value}")
    return f"{label} ({'; '.join(narrowed)})" if narrowed else label


def unit_of(rule: AlertRule) -> str:
    metric = registry.METRICS.get(rule.metric)
    return metric.unit if metric is not None else ""


def threshold_text(value: float, unit: str) -> str:
    """A threshold as typed: « 10 jours », not « 10,0 jours »."""
    if unit in ("days", "years") and float(value).is_integer():
        n = number_format(int(value), use_l10n=True, force_grouping=True)
        if unit == "days":
            return ngettext("%(n)s day", "%(n)s days", max(1, int(value))) % {"n": n}
        return ngettext("%(n)s year", "%(n)s years", max(1, int(value))) % {"n": n}
    return display(value, unit)


def period_phrase(kind: str, start: date, end: date) -> str:
    if kind == PeriodKind.ROLLING_YEAR:
        return _("over the last 12 months")
    if kind == PeriodKind.YEAR_TO_DATE:
        return _("since 1 January %(year)s") % {"year": start.year}
    if kind == PeriodKind.MONTH:
        return _("in %(month)s") % {"month": date_format(end, "F Y")}
    return _("on %(date)s") % {"date": end.strftime("%d/%m/%Y")}


def _fired(comparison: str) -> str:
    patterns: dict[str, str] = {
        Comparison.GT: _("%(label)s: %(value)s %(period)s, above the threshold of %(threshold)s."),
        Comparison.GE: _(
            "%(label)s: %(value)s %(period)s, at or above the threshold of %(threshold)s."
        ),
        Comparison.LT: _("%(label)s: %(value)s %(period)s, below the threshold of %(threshold)s."),
        Comparison.LE: _(
            "%(label)s: %(value)s %(period)s, at or below the threshold of %(threshold)s."
        ),
    }
    return patterns[comparison]


def _resolved(comparison: str) -> str:
    patterns: dict[str, str] = {
        Comparison.GT: _(
            "Back to normal — %(label)s: %(value)s %(period)s, at or below the threshold of "
            "%(threshold)s."
        ),
        Comparison.GE: _(
            "Back to normal — %(label)s: %(value)s %(period)s, below the threshold of "
            "%(threshold)s."
        ),
        Comparison.LT: _(
            "Back to normal — %(label)s: %(value)s %(period)s, at or above the threshold of "
            "%(threshold)s."
        ),
        Comparison.LE: _(
            "Back to normal — %(label)s: %(value)s %(period)s, above the threshold of "
            "%(threshold)s."
        ),
    }
    return patterns[comparison]


def message_for(rule: AlertRule, value: float, start: date, end: date, *, fired: bool) -> str:
    """The sentence of the history, the notification and the e-mail."""
    unit = unit_of(rule)
    pattern = _fired(rule.comparison) if fired else _resolved(rule.comparison)
    return pattern % {
        "label": label_of(rule),
        "value": display(value, unit),
        "period": period_phrase(rule.period, start, end),
        "threshold": threshold_text(rule.threshold, unit),
    }


def condition_text(rule: AlertRule) -> str:
    """The rule in one line, for its page and the list: « au-dessus de 10 jours, sur les 12
    derniers mois »."""
    threshold = threshold_text(rule.threshold, unit_of(rule))
    patterns: dict[str, str] = {
        Comparison.GT: _("above %(threshold)s"),
        Comparison.GE: _("at or above %(threshold)s"),
        Comparison.LT: _("below %(threshold)s"),
        Comparison.LE: _("at or below %(threshold)s"),
    }
    return patterns[rule.comparison] % {"threshold": threshold}


def subject_for(rule: AlertRule, fired: bool) -> str:
    values = {"tenant": rule.tenant.name, "label": label_of(rule)}
    if fired:
        return _("Pilotis alert — %(tenant)s: %(label)s") % values
    return _("Pilotis: back to normal — %(tenant)s: %(label)s") % values
