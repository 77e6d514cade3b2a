"""SQL databases (`sql`): a SELECT query, or a whole table, streamed as text.

`open()` connects, makes the session read-only (PostgreSQL: SET TRANSACTION READ ONLY, tested;
SQLite: PRAGMA query_only, tested; MySQL, MariaDB, Oracle: SET TRANSACTION READ ONLY, best effort),
runs the statement with a server-side cursor where the driver has one (`stream_results`) and reads
the first 10,000 rows, so that a wrong address, password, table or query fails before anything is
loaded. `batches()` then streams the rest, 10,000 rows at a time.
Values become text without loss: decimals exactly (12.50 stays "12.50"), dates and datetimes in
ISO 8601, booleans "true"/"false", bytes in hexadecimal, JSON values as JSON text.

A query must be one SELECT (or WITH … SELECT) statement; statements that write are refused before
they reach the database, and the read-only transaction is a second lock. A database account that
may only read remains the best protection.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from pilotis.connectors.http_api import (
    BATCH_ROWS,
    DEFAULT_TIMEOUT,
    iso_date_formats,
    number_text,
    option_number,
    option_str,
    secret_from_env,
)
from pilotis.connectors.kinds import (
    SOURCE_ROW,
    RawInput,
    ReadHints,
    SourceError,
    SourceKind,
    register,
)

# Words that write or change a database; refused outside quotes and comments in a query.
WRITING_WORDS = frozenset(
    "INSERT UPDATE DELETE MERGE TRUNCATE DROP ALTER CREATE GRANT REVOKE INTO COPY CALL EXEC "
    "EXECUTE ATTACH DETACH VACUUM PRAGMA LOCK".split()
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9$]*")
_DOLLAR_QUOTE = re.compile(r"\$(?:[A-Za-z_][A-Za-z_0-9]*)?\$")
_READ_ONLY = {
    "postgresql": "SET TRANSACTION READ ONLY",
    "mysql": "SET TRANSACTION READ ONLY",
    "mariadb": "SET TRANSACTION READ ONLY",
    "oracle": "SET TRANSACTION READ ONLY",
    "sqlite": "PRAGMA query_only = ON",
}


# --- checking a query --------------------------------------------------------------------------


def _unterminated() -> SourceError:
    return SourceError(_("The query has a quote or a comment that is never closed."))


def _skip_quoted(sql: str, start: int, quote: str, backslash: bool) -> int:
    """The index after the quoted text opening at `start` (doubled quotes escape a quote)."""
    position = start + 1
    while position < len(sql):
        char = sql[position]
        if backslash and char == "\\":
            position += 2
            continue
        if char == quote:
            if sql.startswith(quote, position + 1):
                position += 2
                continue
            return position + 1
        position += 1
    raise _unterminated()


def sql_tokens(sql: str, backslash_escapes: bool = False) -> Iterator[tuple[str, int]]:
    """The significant tokens of `sql` and where they start: upper-cased words, ";" and other
    characters. Quoted strings and identifiers, dollar-quoted bodies and comments are skipped."""
    position, length = 0, len(sql)
    closing = {"'": "'", '"': '"', "`": "`", "[": "]"}
    while position < length:
        char = sql[position]
        if char.isspace():
            position += 1
        elif sql.startswith("--", position):
            end = sql.find("\n", position)
            position = length if end < 0 else end + 1
        elif sql.startswith("/*", position):
            end = sql.find("*/", position + 2)
            if end < 0:
                raise _unterminated()
            position = end + 2
        elif char in closing:
            # E'…' strings take backslash escapes in PostgreSQL.
            e_string = (
                char == "'"
                and position > 0
                and sql[position - 1] in "eE"
                and (position < 2 or not (sql[position - 2].isalnum() or sql[position - 2] == "_"))
            )
            if char == "[":
                end = sql.find("]", position)
                if end < 0:
                    raise _unterminated()
                position = end + 1
            else:
                position = _skip_quoted(
                    sql, position, closing[char], char == "'" and (backslash_escapes or e_string)
                )
        elif char == "$" and (dollar := _DOLLAR_QUOTE.match(sql, position)):
            end = sql.find(dollar.group(), dollar.end())
            if end < 0:
                raise _unterminated()
            position = end + len(dollar.group())
        elif word := _WORD.match(sql, position):
            yield word.group().upper(), position
            position = word.end()
        else:
            yield char, position
            position += 1


def check_select(sql: str, backslash_escapes: bool = False) -> str:
    """`sql` without its final ";" when it is one reading statement, else a `SourceError`."""
    found = list(sql_tokens(sql, backslash_escapes))
    tokens = [token for token, _position in found]
    if ";" in tokens:
        first = tokens.index(";")
        if any(item != ";" for item in tokens[first:]):
            raise SourceError(
                _("The query holds several statements: give a single SELECT statement.")
            )
        sql = sql[: found[first][1]]
    words = [token for token in tokens if token[0].isalpha() or token[0] == "_"]
    if not words or words[0] not in ("SELECT", "WITH"):
        raise SourceError(
            _(
                "The query must be a SELECT statement (or WITH … SELECT); it starts with "
                "“%(word)s”."
            ),
            word=words[0] if words else (tokens[0] if tokens else ""),
        )
    writing = next((word for word in words if word in WRITING_WORDS), None)
    if writing:
        raise SourceError(
            _(
                "The query contains “%(word)s”: only reading (SELECT) is allowed. If it is the "
                "name of a column or a table, put it in double quotes."
            ),
            word=writing,
        )
    return sql.rstrip()


# --- values ------------------------------------------------------------------------------------


def sql_text(value: Any) -> str | None:
    """A database value as text, without loss."""
    if value is None:
        return None
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return number_text(value)
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number_text(value)
    return str(value)


def column_names(names: Sequence[str]) -> list[str]:
    """Unique names: a repeated name gets "_2", "_3"…, and none takes the row-number name."""
    taken = {SOURCE_ROW}
    unique = []
    for name in names:
        candidate, number = str(name) or "column", 1
        while candidate in taken:
            number += 1
            candidate = f"{name}_{number}"
        taken.add(candidate)
        unique.append(candidate)
    return unique


# --- the kind ----------------------------------------------------------------------------------


class _Stream:
    """A running query: its connection, its cursor and its first rows."""

    def __init__(self, engine: Engine, statement: str, secret: str | None) -> None:
        self.engine = engine
        self.statement = statement
        self.secret = secret
        self.columns: list[str] = []
        self.first: list[list[str | None]] = []  # the first rows, column by column
        self.first_count = 0
        self.estimated_rows: int | None = None
        self.count_sql: tuple[str, str] | None = None  # (SQL, table name) to estimate rows
        self._connection: Connection | None = None
        self._result: CursorResult[Any] | None = None

    def detail(self, error: BaseException) -> str:
        original = getattr(error, "orig", None) or error
        lines = str(original).strip().splitlines()
        first = lines[0].strip() if lines else error.__class__.__name__
        if self.secret:
            first = first.replace(self.secret, "***")
        return first[:300]

    def start(self) -> None:
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as error:
            raise SourceError(
                _("Could not connect to the database %(database)s: %(error)s"),
                database=self.engine.url.render_as_string(hide_password=True),
                error=self.detail(error),
            ) from None
        self._connection = connection
        try:
            lock = _READ_ONLY.get(self.engine.dialect.name)
            if lock:
                connection.exec_driver_sql(lock)
            if self.count_sql:
                estimate = connection.execute(
                    text(self.count_sql[0]), {"name": self.count_sql[1]}
                ).scalar()
                self.estimated_rows = int(estimate) if estimate and estimate > 0 else None
            # no_parameters: the text goes to the driver as it is ("%" and ":x" are no markers).
            result = connection.execution_options(
                stream_results=True, yield_per=BATCH_ROWS, no_parameters=True
            ).exec_driver_sql(self.statement)
            if not result.returns_rows:
                raise SourceError(_("The query returns no rows: it must be a SELECT statement."))
            self._result = result
            self.columns = column_names(list(result.keys()))
            rows = result.fetchmany(BATCH_ROWS)
        except SQLAlchemyError as error:
            self.close()
            raise SourceError(
                _("The database refused the query: %(error)s"), error=self.detail(error)
            ) from None
        except BaseException:
            self.close()
            raise
        self.first_count = len(rows)
        self.first = self._texts(rows)

    def _texts(self, rows: Sequence[Sequence[Any]]) -> list[list[str | None]]:
        if not rows:
            return [[] for _name in self.columns]
        return [[sql_text(value) for value in column] for column in zip(*rows, strict=True)]

    def samples(self) -> dict[str, list[str]]:
        return {
            name: [value for value in values if value][:50]
            for name, values in zip(self.columns, self.first, strict=True)
        }

    def schema(self) -> pa.Schema:
        return pa.schema([(c, pa.string()) for c in self.columns] + [(SOURCE_ROW, pa.int64())])

    def _batch(self, texts: list[list[str | None]], count: int, done: int) -> pa.RecordBatch:
        arrays = [pa.array(values, pa.string()) for values in texts]
        arrays.append(pa.array(range(done + 1, done + count + 1), pa.int64()))
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema())

    def batches(self) -> Iterator[pa.RecordBatch]:
        if self._result is None:  # read a second time: run the query again
            self.start()
        result, texts, count = self._result, self.first, self.first_count
        assert result is not None  # noqa: S101 - set by start()
        self._result, self.first, self.first_count = None, [], 0
        done = 0
        try:
            while count:
                yield self._batch(texts, count, done)
                done += count
                rows = result.fetchmany(BATCH_ROWS)
                texts, count = self._texts(rows), len(rows)
        except SQLAlchemyError as error:
            raise SourceError(
                _("Reading the database failed after %(rows)s rows: %(error)s"),
                rows=done,
                error=self.detail(error),
            ) from None
        finally:
            self.close()

    def close(self) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def cleanup(self) -> None:
        self.close()
        self.engine.dispose()


@register
class SqlKind(SourceKind):
    name = "sql"
    label = _("SQL database")
    options: ClassVar[dict[str, str | Promise]] = {
        "url": _(
            "SQLAlchemy address of the database, e.g. postgresql+psycopg://reader@host/db or "
            "sqlite:////path/to/file.db (a password is better given by “password_env”)."
        ),
        "password_env": _("Name of the server environment variable holding the password."),
        "query": _("A SELECT statement (or WITH … SELECT) giving the rows."),
        "table": _("A table (or view) to read whole, instead of a query."),
        "schema": _("The schema of that table (optional)."),
        "timeout": _("Seconds to wait for the connection (default 30)."),
    }

    def open(self) -> RawInput:
        url = self._url()
        secret = url.password if isinstance(url.password, str) else None
        engine = self._engine(url)
        stream = _Stream(engine, "", secret)
        stream.statement, what = self._statement(engine, stream)
        try:
            stream.start()
        except BaseException:
            engine.dispose()
            raise
        database = url.render_as_string(hide_password=True)
        return RawInput(
            columns=stream.columns,
            hints=ReadHints(date_formats=iso_date_formats(stream.samples())),
            batches=stream.batches,
            estimated_rows=stream.estimated_rows,
            description=f"SQL database {database}, {what}",
            cleanup=stream.cleanup,
        )

    def _url(self) -> URL:
        address = option_str(self.config, "url")
        if address is None:
            raise SourceError(_("The option “%(option)s” is required."), option="url")
        try:
            url = make_url(address)
        except ArgumentError:
            raise SourceError(
                _(
                    "The option “url” is not a valid database address; expected e.g. "
                    "postgresql+psycopg://user@host:5432/database or sqlite:////path/to/file.db."
                )
            ) from None
        password = secret_from_env(self.config, "password_env")
        if password is not None:
            url = url.set(password=password)
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and not database.startswith("file:"):
            if database in ("", ":memory:"):
                raise SourceError(_("An SQLite source must be a file: give its path in “url”."))
            if not Path(database).is_file():
                raise SourceError(_("The SQLite file %(path)s does not exist."), path=database)
        return url

    def _engine(self, url: URL) -> Engine:
        timeout = option_number(self.config, "timeout", DEFAULT_TIMEOUT)
        backend = url.get_backend_name()
        connect_args: dict[str, Any] = {}
        if backend in ("postgresql", "mysql", "mariadb"):
            connect_args["connect_timeout"] = max(1, round(timeout))
        elif backend == "sqlite":
            # The batches may be pulled from another thread than the one that connected.
            connect_args["check_same_thread"] = False
        try:
            return create_engine(url, poolclass=NullPool, connect_args=connect_args)
        except (NoSuchModuleError, ImportError):
            raise SourceError(
                _("The database driver for “%(driver)s” is not installed on the server."),
                driver=url.drivername,
            ) from None
        except ArgumentError as error:
            raise SourceError(
                _("The database address cannot be used: %(error)s"), error=str(error)[:200]
            ) from None

    def _statement(self, engine: Engine, stream: _Stream) -> tuple[str, str]:
        query = option_str(self.config, "query")
        table = option_str(self.config, "table")
        if query and table:
            raise SourceError(_("Give either a query or a table, not both."))
        dialect = engine.dialect.name
        if query:
            checked = check_select(query, backslash_escapes=dialect in ("mysql", "mariadb"))
            short = " ".join(checked.split())
            return checked, f"query “{short[:80]}{'…' if len(short) > 80 else ''}”"
        if not table:
            raise SourceError(_("Give the query to run (“query”) or the table to read (“table”)."))
        schema = option_str(self.config, "schema")
        quote = engine.dialect.identifier_preparer.quote
        name = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
        if dialect == "postgresql":
            stream.count_sql = (
                "SELECT CAST(reltuples AS bigint) FROM pg_class WHERE oid = to_regclass(:name)",
                name,
            )
        # The names are quoted by the dialect itself (embedded quotes doubled).
        return f"SELECT * FROM {name}", f"table {name}"  # noqa: S608
