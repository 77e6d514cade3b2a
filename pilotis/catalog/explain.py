"""One plain sentence per quality check result, for the dataset page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pilotis.catalog.models import CheckName, Freshness, QualityCheck


def _number(value: Any) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def _percent(share: float) -> str:
    return formats.number_format(round(share * 100, 1), decimal_pos=1, use_l10n=True) + " %"


def _days(hours: float) -> str:
    days = round(hours / 24, 1)
    return ngettext("%(n)s day", "%(n)s days", int(days) if days >= 1 else 1) % {
        "n": formats.number_format(days, use_l10n=True)
    }


def explain(check: QualityCheck) -> str:
    detail: dict[str, Any] = check.detail or {}
    explainers: dict[str, Callable[[QualityCheck, dict[str, Any]], str]] = {
        CheckName.FRESHNESS: _freshness,
        CheckName.ROW_COUNT: _row_count,
        CheckName.REQUIRED_FIELDS: _required,
        CheckName.UNIQUE_KEY: _unique,
        CheckName.CODE_LISTS: _code_lists,
    }
    explainer = explainers.get(check.name)
    return explainer(check, detail) if explainer else ""


def _freshness(check: QualityCheck, detail: dict[str, Any]) -> str:
    state = detail.get("state")
    if state == Freshness.NEVER:
        return _("Never loaded.")
    last = detail.get("last_loaded_at")
    when = formats.date_format(datetime.fromisoformat(last), "SHORT_DATE_FORMAT") if last else ""
    if detail.get("max_age_hours") is None:
        return _("Last loaded on %(date)s; updated irregularly, so never stale.") % {"date": when}
    return _("Last loaded on %(date)s; %(age)s old, %(max)s allowed.") % {
        "date": when,
        "age": _days(check.value or 0),
        "max": _days(detail["max_age_hours"]),
    }


def _row_count(check: QualityCheck, detail: dict[str, Any]) -> str:
    if detail.get("missing"):
        return _("The table has no data in the warehouse.")
    rows = int(check.value or 0)
    text = ngettext("%(n)s row.", "%(n)s rows.", rows) % {"n": _number(rows)}
    previous = detail.get("previous")
    if previous is not None:
        text += " " + _("Previous check: %(n)s; at most %(drop)s may be lost.") % {
            "n": _number(int(previous)),
            "drop": _percent(detail.get("max_drop", 0.5)),
        }
    if rows == 0:
        text += " " + _("An empty table is an error.")
    return text


def _required(check: QualityCheck, detail: dict[str, Any]) -> str:
    empty = [
        _("%(field)s: %(n)s empty (%(share)s)")
        % {"field": name, "n": _number(f["empty"]), "share": _percent(f["share"])}
        for name, f in detail.get("fields", {}).items()
        if f.get("empty")
    ]
    if not empty:
        return _("Every required field is filled in.")
    return "; ".join(empty) + "."


def _unique(check: QualityCheck, detail: dict[str, Any]) -> str:
    keys = int(detail.get("duplicated_keys", 0))
    key = ", ".join(detail.get("key", []))
    if not keys:
        return _("Every row has its own key (%(key)s).") % {"key": key}
    text = ngettext(
        "%(n)s key (%(key)s) is used by several rows",
        "%(n)s keys (%(key)s) are used by several rows",
        keys,
    ) % {"n": _number(keys), "key": key}
    examples = detail.get("examples") or []
    if examples:
        text += _(", e.g. %(examples)s") % {"examples": ", ".join(map(str, examples))}
    return text + "."


def _code_lists(check: QualityCheck, detail: dict[str, Any]) -> str:
    wrong = []
    for name, f in detail.get("fields", {}).items():
        if not f.get("unknown_rows"):
            continue
        text = ngettext(
            "%(field)s: %(n)s row out of the list",
            "%(field)s: %(n)s rows out of the list",
            f["unknown_rows"],
        ) % {"field": name, "n": _number(f["unknown_rows"])}
        if f.get("examples"):
            text += _(" (e.g. %(examples)s)") % {"examples": ", ".join(map(str, f["examples"]))}
        wrong.append(text)
    if not wrong:
        return _("Every value is in its list (%(fields)s).") % {
            "fields": ", ".join(detail.get("fields", {}))
        }
    return "; ".join(wrong) + "."
