"""Page results the build computes once, for its as-of date and the default settings.

At a million customers a page's figures take seconds to compute from the orders; the pages
open on the build's as-of date with the default settings, so `core build` computes those
results once and keeps them in the table `page_results` (one row per result). A function
marked `@page_result` returns the kept value when it is called with the build's as-of
date and all its other arguments at their defaults, and computes live otherwise (another
date, other rules) or when the kept value is stale:

- a result that reads only the raw data (through staging) holds until an import changes
  the raw tables (`ratings=False`);
- a result that also reads the ratings, segments or model outputs of customer_features
  holds until anything raises the data version (a rule-set save, a setting, an import).

Values are stored without pickle (a database file can come from elsewhere): DataFrames as
Arrow IPC streams (dtypes, index and attrs kept), arrays as .npy without objects, and
StarTier's own `core` dataclasses, dicts, tuples, lists, dates and numbers as JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import inspect
import io
import json
from collections.abc import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from core import db, sql

TABLE = "page_results"
_MISSING = object()


def page_result(ratings: bool = False, after_commit: bool = False) -> Callable:
    """Mark `fn(con, as_of, ...)` as a result the build keeps (see the module docstring).
    `fn.live` is the function itself, which always computes. `after_commit`: it reads
    through cursors of its own (a cursor is a connection of its own, which inside the
    build's transaction sees the tables as they were before it), so the build keeps it
    once it has committed (`store_committed_results`)."""

    def mark(fn: Callable) -> Callable:
        signature = inspect.signature(fn)
        name = f"{fn.__module__}.{fn.__name__}"
        dated = "as_of" in signature.parameters

        @functools.wraps(fn)
        def kept_or_live(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            con, *given = bound.arguments.items()
            if dated:
                (_, as_of), *given = given
            if all(_same(v, signature.parameters[k].default) for k, v in given):
                found = recall(con[1], name, as_of if dated else db.built_as_of(con[1]))
                if found is not _MISSING:
                    return found
            return fn(*args, **kwargs)

        kept_or_live.live = fn
        kept_or_live.result_name = name
        kept_or_live.reads_ratings = ratings
        kept_or_live.dated = dated
        kept_or_live.after_commit = after_commit
        return kept_or_live

    return mark


def _same(value, default) -> bool:
    try:
        return type(value) is type(default) and bool(value == default)
    except (TypeError, ValueError):
        return False


def page_results() -> tuple[Callable, ...]:
    """The results the build keeps, in the order it computes them (`store_page_results`;
    those marked `after_commit`: `store_committed_results`)."""
    from core import lifecycle, loyalty, offers, overview, satisfaction, segments

    return (
        overview.overview_kpis,
        overview.monthly_revenue,
        overview.opening_story,
        overview.satisfaction_months,
        lifecycle.lifecycle_snapshot,
        lifecycle.stage_history,
        lifecycle.cohort_retention,
        lifecycle.channel_economics,
        satisfaction.value_report,
        satisfaction.satisfaction_kpis,
        segments.built_clusters,
        offers.association_rules,
        offers.opening_rule_segments,
        loyalty.simulator_bgnbd,
        loyalty.opening_simulation,
    )


def store_page_results(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, results: tuple[Callable, ...] | None = None
) -> dict[str, float]:
    """The build step (after the data version is raised): compute `results` (default: those
    of `page_results()` not kept after the commit) for `as_of` with their defaults and keep
    them. A result that cannot be computed on these data (too few buyers...) is not kept:
    the page computes it and says why. Returns the seconds each kept result took."""
    con.execute(
        f"create or replace table {TABLE} (name varchar primary key, as_of date, "
        "raw_version bigint, data_version bigint, reads_ratings boolean, "
        "value varchar, blobs blob[])"
    )
    if results is None:
        results = tuple(fn for fn in page_results() if not fn.after_commit)
    return _keep(con, as_of, results)


def store_committed_results(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> dict[str, float]:
    """The build's last step, once its transaction has committed: compute and keep the
    results of `page_results()` marked `after_commit`. Inside a transaction still open (a
    build within a larger one) their cursors would read the data before the build: they
    are not kept, and the pages compute them. Returns the seconds each kept result took."""
    if db._in_transaction(con):
        return {}
    results = tuple(fn for fn in page_results() if fn.after_commit)
    with db.transaction(con):
        names = [fn.result_name for fn in results]
        con.execute(f"delete from {TABLE} where list_contains(?, name)", [names])
        return _keep(con, as_of, results)


def _keep(con: duckdb.DuckDBPyConnection, as_of: dt.date, results) -> dict[str, float]:
    import time

    versions = (db.raw_version(con), db.data_version(con))
    seconds = {}
    for fn in results:
        started = time.perf_counter()
        try:
            value = fn.live(con, as_of) if fn.dated else fn.live(con)
        except (ValueError, ArithmeticError, RuntimeError):
            continue  # the data cannot give it: the page computes it and words why
        blobs: list[bytes] = []
        text = json.dumps(_encode(value, blobs))
        con.execute(
            f"insert into {TABLE} values (?, ?, ?, ?, ?, ?, ?)",
            [fn.result_name, as_of, *versions, fn.reads_ratings, text, blobs],
        )
        seconds[fn.result_name] = time.perf_counter() - started
    return seconds


def kept(result: Callable, con: duckdb.DuckDBPyConnection, as_of: dt.date):
    """The value the build kept for `result` (a `@page_result` function) on `as_of` with
    its defaults, or None when there is none or it is stale."""
    found = recall(con, result.result_name, as_of)
    return None if found is _MISSING else found


def recall(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date):
    """The value kept for result `name` on `as_of`, or _MISSING (not kept, or stale)."""
    kept = "select count(*) from duckdb_tables() where table_name = ? and schema_name = 'main'"
    if as_of is None or not con.execute(kept, [TABLE]).fetchone()[0]:
        return _MISSING  # never built, or built before results were kept
    row = con.execute(
        f"select raw_version, data_version, reads_ratings, value, blobs from {TABLE} "
        "where name = ? and as_of = ?",
        [name, as_of],
    ).fetchone()
    if row is None:
        return _MISSING
    raw_version, data_version, reads_ratings, text, blobs = row
    if reads_ratings and db.data_version(con) != data_version:
        return _MISSING
    if not sql.staging_is_current(con) or db.raw_version(con) != raw_version:
        return _MISSING
    return _decode(json.loads(text), blobs)


# --- the codec: values as JSON with binary frames and arrays ----------------------------


def _encode(value, blobs: list[bytes]):
    if isinstance(value, pd.DataFrame):
        blobs.append(_frame_bytes(value))
        return {"frame": len(blobs) - 1}
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        blobs.append(buffer.getvalue())
        return {"array": len(blobs) - 1}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        if not kind.__module__.startswith("core."):
            raise TypeError(f"only StarTier's core dataclasses are kept, not {kind}")
        fields = {f.name: _encode(getattr(value, f.name), blobs) for f in dataclasses.fields(value)}
        return {"dataclass": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, blobs), _encode(v, blobs)] for k, v in value.items()]}
    if isinstance(value, tuple | list):
        return {type(value).__name__: [_encode(v, blobs) for v in value]}
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, np.generic):
        return {"numpy": value.dtype.str, "value": value.item()}
    if value is None or isinstance(value, bool | int | float | str):
        return {"value": value}
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _decode(node: dict, blobs: list[bytes]):
    if "frame" in node:
        with pa.ipc.open_stream(blobs[node["frame"]]) as reader:
            return reader.read_all().to_pandas()
    if "array" in node:
        return np.load(io.BytesIO(blobs[node["array"]]), allow_pickle=False)
    if "dataclass" in node:
        module, qualname = node["dataclass"].split(":")
        if not module.startswith("core."):
            raise TypeError(f"only StarTier's core dataclasses are kept, not {module}")
        kind = functools.reduce(getattr, qualname.split("."), importlib.import_module(module))
        fields = {name: _decode(v, blobs) for name, v in node["fields"].items()}
        value = object.__new__(kind)
        for name, v in fields.items():
            object.__setattr__(value, name, v)
        return value
    if "dict" in node:
        return {_decode(k, blobs): _decode(v, blobs) for k, v in node["dict"]}
    if "tuple" in node:
        return tuple(_decode(v, blobs) for v in node["tuple"])
    if "list" in node:
        return [_decode(v, blobs) for v in node["list"]]
    if "datetime" in node:
        return dt.datetime.fromisoformat(node["datetime"])
    if "date" in node:
        return dt.date.fromisoformat(node["date"])
    if "numpy" in node:
        return np.dtype(node["numpy"]).type(node["value"])
    return node["value"]


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    table = pa.Table.from_pandas(frame, preserve_index=True)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
