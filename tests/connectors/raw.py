"""Reading a source kind's output in tests, as the pipeline does: through DuckDB."""

import duckdb

from pilotis.connectors.kinds import RawInput


def rows_of(raw: RawInput) -> list[dict]:
    """Every row the kind gives (source row number included), then its temporary files go."""
    con = duckdb.connect()
    try:
        return raw.to_relation(con).arrow().read_all().to_pylist()
    finally:
        con.close()
        if raw.cleanup:
            raw.cleanup()
