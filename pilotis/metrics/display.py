"""Figures as a French reader expects them: `1 234`, `12,4 jours`, `45 %`, `1,2 M€`,
`812 € par habitant` — the same on the pages, in the PDF report and in alert messages."""

from __future__ import annotations

from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def _n(value: float, digits: int) -> str:
    return number_format(
        round(value, digits), decimal_pos=digits, use_l10n=True, force_grouping=True
    )


def display(value: Any, unit: str) -> str:
    """`value` in `unit`, written for a reader; an em dash when there is no figure."""
    if value is None:
        return "—"
    v = float(value)
    if unit in ("ratio", "share"):
        return _("%(n)s %%") % {"n": _n(100 * v, 0 if abs(v) >= 0.1 else 1)}
    if unit == "percent":
        return _("%(n)s %%") % {"n": _n(v, 0 if abs(v) >= 10 else 1)}
    if unit == "days":
        return ngettext("%(n)s day", "%(n)s days", max(1, round(v))) % {"n": _n(v, 1)}
    if unit == "euros":
        if abs(v) >= 1_000_000:
            return _("%(n)s M€") % {"n": _n(v / 1_000_000, 2)}
        if abs(v) >= 10_000:
            return _("%(n)s k€") % {"n": _n(v / 1000, 0)}
        return _("%(n)s €") % {"n": _n(v, 0)}
    if unit == "euros_per_inhabitant":
        return _("%(n)s € per inhabitant") % {"n": _n(v, 0)}
    if unit == "fte":
        return _("%(n)s FTE") % {"n": _n(v, 1)}
    if unit == "years":
        return ngettext("%(n)s year", "%(n)s years", max(1, round(v))) % {"n": _n(v, 1)}
    if unit == "count":
        return _n(v, 0) if v == int(v) or abs(v) >= 100 else _n(v, 1)
    return _n(v, 1 if abs(v) < 100 else 0)


def threshold_input(value: float, unit: str) -> float:
    """A threshold typed by a user in the unit as displayed (40 for 40 %) as the metric's
    value (0.40 for a ratio)."""
    return value / 100 if unit in ("ratio", "share") else value
