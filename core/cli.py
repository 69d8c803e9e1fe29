"""The command line: `python -m core COMMAND ...` (see `python -m core --help`)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

from core import db
from core.contract import RAW_TABLES

EXPORTABLE = (*RAW_TABLES, "customer_features")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (expected YYYY-MM-DD)") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="StarTier from the command line: demo data, imports, derived tables.",
        epilog=f"The database is --db, else ${db.ENV_VAR}, else data/startier.duckdb.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="build the demo data set (about three years of a retail business)",
        description="Fill an empty database with demo customers, transactions, interactions "
        "and feedback, then build the derived tables.",
    )
    demo.add_argument("--customers", type=int, default=20_000, help="default: %(default)s")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    demo.add_argument("--end", type=_date, help="last day of history (default: today)")
    demo.add_argument(
        "--replace", action="store_true", help="replace the data of a database that has some"
    )

    imp = commands.add_parser(
        "import",
        help="load a CSV, Excel (.xlsx) or Parquet file into a raw table",
        description="Load one file into one raw table. Strict by default: one bad row rejects "
        "the whole file and the database stays as it was.",
    )
    imp.add_argument("table", choices=list(RAW_TABLES), help="the raw table to load into")
    imp.add_argument("file", type=Path, help="the .csv, .xlsx or .parquet file")
    imp.add_argument(
        "--map",
        metavar="field=SourceColumn,...",
        help="which source column holds each StarTier field (columns named as fields are "
        "taken as they are)",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="load the valid rows and write the rejected ones with their reason to --report",
    )
    imp.add_argument(
        "--report", type=Path, help="where --skip-invalid writes rejected rows (a CSV file)"
    )

    build = commands.add_parser(
        "build",
        help="rebuild the derived tables (customer_features) from the raw tables",
        description="Rebuild the derived tables from the raw tables.",
    )
    build.add_argument("--as-of", type=_date, help="default: the last day with a transaction")

    export = commands.add_parser(
        "export",
        help="write a table to CSV or Excel (formula-looking cells neutralised)",
        description="Write a table to a .csv or .xlsx file for a spreadsheet or a campaign.",
    )
    export.add_argument("table", choices=EXPORTABLE)
    export.add_argument("file", type=Path, help="the .csv or .xlsx file to write")

    for sub in (demo, imp, build, export):
        sub.add_argument("--db", type=Path, help="database file (default: see --help)")
    return parser


def _demo(args) -> int:
    from core.build import build
    from core.demo import build_demo

    con = db.connect(args.db)
    started = time.perf_counter()
    counts = build_demo(
        con, customers=args.customers, seed=args.seed, end=args.end, replace=args.replace
    )
    result = build(con)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    print(f"demo data built in {seconds:.1f} s: {rows}; features as of {result.as_of}")
    return 0


def _import(args) -> int:
    from core.importer import ImportFailed, import_file, parse_mapping

    try:
        mapping = parse_mapping(args.map) if args.map else None
    except ValueError as error:
        print(f"error: --map: {error}", file=sys.stderr)
        return 2
    con = db.connect(args.db)
    try:
        result = import_file(
            con,
            args.table,
            args.file,
            mapping=mapping,
            skip_invalid=args.skip_invalid,
            report=args.report,
        )
    except ImportFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(result.summary()))
    print("next: `python -m core build` brings the derived tables up to date")
    return 0


def _build(args) -> int:
    from core.build import build

    con = db.connect(args.db)
    started = time.perf_counter()
    result = build(con, as_of=args.as_of)
    seconds = time.perf_counter() - started
    print(
        f"derived tables built in {seconds:.1f} s as of {result.as_of}: "
        f"{result.customer_features:,} rows in customer_features"
    )
    return 0


def _export(args) -> int:
    from core.export import to_csv_bytes, to_excel_bytes

    suffix = args.file.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        print(f"error: {args.file}: write a .csv or .xlsx file", file=sys.stderr)
        return 2
    con = db.connect(args.db)
    exists = con.execute(
        "select count(*) from information_schema.tables where table_name = ?", [args.table]
    ).fetchall()[0][0]
    if not exists:
        print(
            f"error: {args.table} does not exist yet: run `python -m core build`", file=sys.stderr
        )
        return 1
    frame = con.table(args.table).df()
    data = to_csv_bytes(frame) if suffix == ".csv" else to_excel_bytes(frame)
    args.file.write_bytes(data)
    print(f"{len(frame):,} rows of {args.table} written to {args.file}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"demo": _demo, "import": _import, "build": _build, "export": _export}
    try:
        return handlers[args.command](args)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise
        print(
            f"error: {db.default_path() if args.db is None else args.db} is open in another "
            "program (the dashboard?): stop it, or work on a copy with --db",
            file=sys.stderr,
        )
        return 1
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
