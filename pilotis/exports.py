"""Helpers shared by every spreadsheet and CSV export of Pilotis."""

from __future__ import annotations

# A spreadsheet treats a cell starting with one of these as a formula (or as the start of one):
# a value such as `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` coming from a source would run
# when a clerk opens the export (CSV / formula injection, OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """`value`, made inert for a spreadsheet: a text starting like a formula gets a leading
    apostrophe, which Excel and LibreOffice show as plain text. Numbers, dates and other
    non-text values are returned unchanged (a negative number stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
