"""CSV import against its floor: DuckDB's own `read_csv` into a table, same file, same run.

`run(csv_path)` times `core.importer.import_file(con, "transactions", csv_path)` into a
fresh StarTier database, and the floor, in turn (floor, import, floor, import, ...), and
returns the best of each and their ratio (issue 15 asks for at most 2x).

The floor is the least any import of this file must do: `create table t as select * from
read_csv(...)` in a fresh DuckDB file, reading the file with the column types our contract
stores (`core.contract`: timestamps as timestamp, amounts as double, the rest as text), the
header and the delimiter given (no type sniffing: that is guessing work the floor need not
do, and auto-detected types store `quantity` as bigint where we store a double). Our
import does more: it checks the encoding of every byte, parses every value with our rules
(currency signs, thousands separators, several date forms, time-zone offsets), checks
each (future dates, bounds, duplicates), loads all or nothing and creates the customers
the rows name.

Both sides are timed from the statement to the connection closed (the data on disk), the
database schema made before the clock starts; and after each run both are checked to hold
the same rows: row count and the sum of the hash of every column the file gives, read from
the tables as stored. The process CPU time is kept beside the wall time: on a shared
machine it is the steadier of the two.

Usable alone: `python -m bench.import_floor --csv PATH [--repeats 3]`.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from core import contract, db
from core.importer import import_file

TABLE = contract.TRANSACTIONS


def header(csv_path: Path) -> list[str]:
    """The CSV's column names (its first line, comma-separated)."""
    with csv_path.open(newline="", encoding="utf-8-sig") as f:
        return next(csv.reader(f))


def floor_columns(names: list[str], table: contract.Table = TABLE) -> dict[str, str]:
    """Column name -> the DuckDB type our contract stores it as (text for the others)."""
    kinds = {f.name: f.kind for f in table.fields}
    return {n: contract.SQL_TYPES[kinds.get(n.strip().lower(), contract.TEXT)] for n in names}


def floor_sql(names: list[str]) -> str:
    """The floor's statement: `create table t as select * from read_csv($path, ...)`."""
    columns = ", ".join(f"'{n}': '{kind}'" for n, kind in floor_columns(names).items())
    return (
        "create table t as select * from read_csv($path, header = true, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', columns = {{{columns}}})"
    )


def checksum(con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> tuple[int, int]:
    """(rows, sum of the hash of the given columns) of `table`."""
    columns = ", ".join(f'"{n}"' for n in names)
    rows, total = con.execute(f"select count(*), sum(hash({columns})) from {table}").fetchone()
    return rows, int(total or 0)


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed(work) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of `work()`."""
    wall, cpu = time.perf_counter(), _cpu()
    work()
    return time.perf_counter() - wall, _cpu() - cpu


def time_floor(csv_path: Path, scratch: Path, names: list[str]) -> tuple[float, float, tuple]:
    """(wall, cpu, checksum) of the floor into a fresh DuckDB file in `scratch`."""
    path = scratch / "floor.duckdb"
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")

    def work() -> None:
        con.execute(floor_sql(names), {"path": str(csv_path)})
        con.close()

    wall, cpu = _timed(work)
    with duckdb.connect(str(path), read_only=True) as check:
        found = checksum(check, "t", names)
    path.unlink()
    return wall, cpu, found


def time_import(csv_path: Path, scratch: Path, names: list[str]) -> tuple[float, float, tuple]:
    """(wall, cpu, checksum) of `import_file` into a fresh StarTier database in `scratch`."""
    path = scratch / "import.duckdb"
    path.unlink(missing_ok=True)
    con = db.connect(path)  # the empty schema, before the clock starts
    con.execute("set enable_progress_bar = false")
    result = {}

    def work() -> None:
        result["import"] = import_file(con, TABLE.name, csv_path)
        con.close()

    wall, cpu = _timed(work)
    with duckdb.connect(str(path), read_only=True) as check:
        found = checksum(check, TABLE.name, [n.strip().lower() for n in names])
    path.unlink()
    return wall, cpu, (*found, result["import"].customers_created)


def run(csv_path: str | Path, repeats: int = 3) -> dict:
    """Import vs floor on `csv_path`, alternated `repeats` times; best of each and the ratio.

    RuntimeError when a run of either side holds other rows than the first floor's.
    """
    csv_path = Path(csv_path)
    names = header(csv_path)
    scratch = Path(tempfile.mkdtemp(prefix="import-floor-"))
    walls: dict[str, list[float]] = {"floor": [], "import": []}
    cpus: dict[str, list[float]] = {"floor": [], "import": []}
    expected = None
    customers = 0
    try:
        for _ in range(repeats):
            for side, timer in (("floor", time_floor), ("import", time_import)):
                wall, cpu, found = timer(csv_path, scratch, names)
                if side == "import":
                    customers = found[2]
                    found = found[:2]
                expected = expected or found
                if found != expected:
                    raise RuntimeError(
                        f"{side} holds other rows than the floor: (rows, checksum) {found} "
                        f"against {expected}"
                    )
                walls[side].append(wall)
                cpus[side].append(cpu)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    floor, imported = min(walls["floor"]), min(walls["import"])
    return {
        "rows": expected[0],
        "customers_created": customers,
        "file_mb": round(csv_path.stat().st_size / 1e6),
        "floor_seconds": round(floor, 2),
        "import_seconds": round(imported, 2),
        "ratio": round(imported / floor, 2),
        "cpu_ratio": round(min(cpus["import"]) / min(cpus["floor"]), 2),
        "import_rows_per_second": round(expected[0] / imported),
        "floor_runs": [round(s, 2) for s in walls["floor"]],
        "import_runs": [round(s, 2) for s in walls["import"]],
        "floor_cpu": [round(s, 2) for s in cpus["floor"]],
        "import_cpu": [round(s, 2) for s in cpus["import"]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.import_floor", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--csv", type=Path, required=True, help="a transactions CSV")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side (best kept)")
    args = parser.parse_args()
    print(json.dumps(run(args.csv, args.repeats), indent=2))


if __name__ == "__main__":
    main()
