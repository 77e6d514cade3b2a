# ruff: noqa: S608 - SQL is built from identifiers and literals quoted by ident() and lit()
"""Keyed pseudonyms for personal identifiers (an agent's payroll matricule), applied while a
source is staged, so that the clear value never reaches the warehouse — quarantine included.

A Table Schema field marked `"pilotis:pseudonymise": true` is always fed with
`p-` + the first 16 hex characters of HMAC-SHA256(key, value), whatever the mapping says: the
source column it is mapped from is replaced by its pseudonym in the load's view of the source
(`raw_input`), before mapping, validation and quarantine read it. In a table with such a field,
the source columns the mapping does not read (an export's names, birth dates…) are emptied
the same way: a rejected row keeps in quarantine only what the load used.

The key is one per tenant, derived from Django's SECRET_KEY with a fixed context (HMAC): without
it nobody can hash candidate matricules to find an agent again, and two tenants' pseudonyms of
the same matricule differ. A value already in pseudonym form is kept as it is, so that re-playing
quarantined rows (which hold pseudonyms) gives the same identifiers. Changing SECRET_KEY changes
every pseudonym: reload the whole history after such a change.
"""

from __future__ import annotations

import hashlib
import hmac

import duckdb
from django.conf import settings

from pilotis.connectors.mapping import Mapping
from pilotis.warehouse.schemas import TableSchema
from pilotis.warehouse.storage import ident, lit

PREFIX = "p-"
LENGTH = 16  # hex characters of the HMAC kept: 64 bits, no collision among a few thousand agents
PATTERN = f"{PREFIX}[0-9a-f]{{{LENGTH}}}"
CONTEXT = b"pilotis-pseudonym:"
BLOCK = 64  # SHA-256's block size, in bytes


def pseudonymised_fields(schema: TableSchema) -> list[str]:
    return [f["name"] for f in schema.raw.get("fields", []) if f.get("pilotis:pseudonymise")]


def tenant_key(tenant_code: str) -> bytes:
    secret = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(secret, CONTEXT + tenant_code.encode("utf-8"), hashlib.sha256).digest()


def pseudonym(value: str, tenant_code: str) -> str:
    """The pseudonym of `value` (trimmed) in `tenant_code`: what the load's SQL computes."""
    value = value.strip()
    if len(value) == len(PREFIX) + LENGTH and value.startswith(PREFIX):
        if all(c in "0123456789abcdef" for c in value[len(PREFIX) :]):
            return value
    digest = hmac.new(tenant_key(tenant_code), value.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + digest[:LENGTH]


def sql_pseudonym(expr: str, key: bytes) -> str:
    """HMAC-SHA256 in DuckDB SQL (vectorised): H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m))."""
    padded = key.ljust(BLOCK, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in padded).hex()
    outer_pad = bytes(b ^ 0x5C for b in padded).hex()
    value = f"trim({expr})"
    inner = f"unhex(sha256(unhex({lit(inner_pad)}) || encode({value})))"
    digest = f"sha256(unhex({lit(outer_pad)}) || {inner})"
    return (
        f"CASE WHEN {value} IS NULL OR {value} = '' THEN NULL "
        f"WHEN regexp_full_match({value}, {lit(PATTERN)}) THEN {value} "
        f"ELSE {lit(PREFIX)} || left({digest}, {LENGTH}) END"
    )


def protect_raw_input(
    con: duckdb.DuckDBPyConnection, mapping: Mapping, raw_columns: list[str], tenant_code: str
) -> None:
    """Replace the view `raw_input` by one where the columns feeding pseudonymised fields hold
    pseudonyms and the columns the mapping does not read are empty. Nothing changes for a
    table without pseudonymised fields."""
    fields = set(pseudonymised_fields(mapping.schema))
    if not fields:
        return
    key = tenant_key(tenant_code)
    feeds = {fm.column: name for name, fm in mapping.fields.items() if fm.column}
    read = set(mapping.source_columns())
    replaced = []
    for column in raw_columns:
        if feeds.get(column) in fields:
            replaced.append(f"{sql_pseudonym(ident(column), key)} AS {ident(column)}")
        elif column not in read:
            replaced.append(f"NULL::VARCHAR AS {ident(column)}")
    if not replaced:
        return
    con.execute("ALTER VIEW raw_input RENAME TO raw_clear")
    con.execute(f"CREATE VIEW raw_input AS SELECT * REPLACE ({', '.join(replaced)}) FROM raw_clear")
