"""Personal data kept out of the public Open311 answers.

The requester's name, e-mail and phone (`requester_*` columns) are never selected at all. The
free texts that ARE published — description, status notes, address — describe the problem and
its place, which is what Open311 clients show, but citizens and agents sometimes write their
e-mail or phone number in them: `redact` blanks those out before anything leaves the server.
Names in free text cannot be found reliably by a pattern; docs/open311.md says so.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_SEP = r"[ .\-\u00a0\u202f]?"
PHONE = re.compile(
    r"(?<![\w+])(?:"
    # French: 0X XX XX XX XX, written with spaces, dots, dashes or nothing.
    rf"0[1-9](?:{_SEP}\d\d){{4}}"
    # International: +33 6 12 34 56 78, +33 (0)6…, 0033 6…, +44 20 7946 0958.
    rf"|(?:\+|00)[1-9]\d{{0,2}}{_SEP}(?:\(0\){_SEP})?\d(?:{_SEP}\d){{6,12}}"
    # North American, as in imported 311 data: (312) 555-1234, 312-555-1234.
    r"|\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}|\d{3}[.\-]\d{3}[.\-]\d{4}"
    r")(?!\w)"
)


def redact(text: str | None) -> str | None:
    """`text` with e-mail addresses and phone numbers replaced by a marker."""
    if not text:
        return text
    text = EMAIL.sub(_("[e-mail removed]"), text)
    return PHONE.sub(_("[phone removed]"), text)
