"""The French calendar: public holidays (jours fériés) of metropolitan France."""

from __future__ import annotations

from datetime import date, timedelta


def easter(year: int) -> date:
    """Easter Sunday (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * ell) // 433
    month = (h + ell - 7 * m + 90) // 25
    return date(year, month, (h + ell - 7 * m + 33 * month + 19) % 32)


def public_holidays(year: int) -> set[date]:
    """French public holidays (jours fériés) of a year."""
    sunday = easter(year)
    return {
        date(year, 1, 1),
        sunday + timedelta(days=1),
        date(year, 5, 1),
        date(year, 5, 8),
        sunday + timedelta(days=39),
        sunday + timedelta(days=50),
        date(year, 7, 14),
        date(year, 8, 15),
        date(year, 11, 1),
        date(year, 11, 11),
        date(year, 12, 25),
    }
