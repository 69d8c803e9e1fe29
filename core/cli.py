"""The command line: `python -m core COMMAND ...` (see `python -m core --help`)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from contextlib import closing
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


def _encoding(text: str) -> str:
    from core.textfile import declared_codec

    try:
        declared_codec(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m core",
        description="StarTier from the command line: demo data, imports, derived tables, "
        "exports and settings.",
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
        "--set",
        dest="constants",
        action="append",
        metavar="field=value",
        help="give a field the same value on every row, e.g. --set kind=survey (repeatable)",
    )
    imp.add_argument(
        "--skip-invalid",
        action="store_true",
        help="load the valid rows and write the rejected ones with their reason to --report",
    )
    imp.add_argument(
        "--report", type=Path, help="where --skip-invalid writes rejected rows (a CSV file)"
    )
    imp.add_argument(
        "--encoding",
        type=_encoding,
        metavar="NAME",
        help="the text encoding of a CSV file, e.g. gbk, latin-1, utf-16 (default: detected "
        "over the whole file; UTF-8 first)",
    )
    imp.add_argument(
        "--date-order",
        choices=("dmy", "mdy"),
        help="how to read dates like 5/3/2024: dmy = day/month/year, mdy = month/day/year "
        "(default: decided per column from the values; asked when no value tells)",
    )
    imp.add_argument(
        "--member",
        metavar="NAME",
        help="the file to import from a .zip that holds several",
    )

    build = commands.add_parser(
        "build",
        help="rebuild the derived tables (customer_features) from the raw tables",
        description="Rebuild the derived tables from the raw tables.",
    )
    build.add_argument("--as-of", type=_date, help="default: the last day with a transaction")

    export = commands.add_parser(
        "export",
        help="write a table to CSV or Excel for a spreadsheet, or to Parquet or --raw CSV "
        "for a machine",
        description="Write a table to a file. A .csv or .xlsx file is for a spreadsheet: "
        "text that starts like a formula (=, +, -, @) gets a ' in front; an .xlsx file has "
        "number formats (money to cents, probabilities as percentages, days), a bold frozen "
        "header with filters, sized columns and an About sheet (rows, as-of date of the last "
        "build, the data's days, star rule set, currency). A .parquet file, or "
        "a .csv with --raw, is for re-import and other tools: exactly the stored values "
        "(UTF-8, ISO timestamps, full precision, NULL kept apart from empty text).",
    )
    export.add_argument("table", choices=EXPORTABLE)
    export.add_argument("file", type=Path, help="the .csv, .xlsx or .parquet file to write")
    export.add_argument(
        "--raw",
        action="store_true",
        help="CSV for machines: the values exactly as stored, no ' prefixes",
    )

    config = commands.add_parser(
        "config",
        help="show or change the business's settings (currency, time zone)",
        description="Without arguments, list the settings with their values and what they "
        "do; with NAME, show one; with NAME VALUE, change it. Settings live in the database.",
        epilog="e.g. `python -m core config currency GBP`, "
        "`python -m core config timezone Europe/London`",
    )
    config.add_argument("name", nargs="?", help="the setting (currency, timezone)")
    config.add_argument("value", nargs="?", help="its new value")

    for sub in (demo, imp, build, export, config):
        sub.add_argument("--db", type=Path, help="database file (default: see --help)")
    return parser


def _demo(args) -> int:
    from core.build import build
    from core.demo import build_demo

    started = time.perf_counter()
    with closing(db.connect(args.db)) as con:
        counts = build_demo(
            con, customers=args.customers, seed=args.seed, end=args.end, replace=args.replace
        )
        result = build(con)
    seconds = time.perf_counter() - started
    rows = ", ".join(f"{n:,} {table}" for table, n in counts.items())
    print(f"demo data built in {seconds:.1f} s: {rows}; features as of {result.as_of}")
    return 0


def _import(args) -> int:
    from core.importer import (
        ImportFailed,
        check_files,
        import_file,
        parse_constants,
        parse_mapping,
    )

    try:
        mapping = parse_mapping(args.map) if args.map else None
    except ValueError as error:
        print(f"error: --map: {error}", file=sys.stderr)
        return 2
    try:
        constants = parse_constants(args.constants)
    except ValueError as error:
        print(f"error: --set: {error}", file=sys.stderr)
        return 2
    try:
        # the input readable, the report writable: said before the database is opened
        check_files(args.file, args.report, args.skip_invalid, database=_db_path(args))
        result = import_file(
            db.connect(args.db),
            args.table,
            args.file,
            mapping=mapping,
            skip_invalid=args.skip_invalid,
            report=args.report,
            constants=constants,
            encoding=args.encoding,
            date_order=args.date_order,
            member=args.member,
        )
    except ImportFailed as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(result.summary()))
    print("next: `python -m core build` brings the derived tables up to date")
    return 0


def _build(args) -> int:
    from core.build import build, statuses

    started = time.perf_counter()
    with closing(db.connect(args.db)) as con:
        result = build(con, as_of=args.as_of)
        empty = {name: reason for name, reason in statuses(con).items() if reason is not None}
    seconds = time.perf_counter() - started
    print(
        f"derived tables built in {seconds:.1f} s as of {result.as_of}: "
        f"{result.customer_features:,} rows in customer_features"
    )
    for name, reason in empty.items():
        print(f"left empty: {name}: {reason.message}")
    return 0


def _export(args) -> int:
    from core.export import check_target, write_table

    check_target(args.file, raw=args.raw)  # before the database is opened
    with closing(db.connect(args.db, read_only=True)) as con:  # a read-only file will do
        if not db.has_table(con, args.table):
            print(
                f"error: {args.table} does not exist yet: run `python -m core build`",
                file=sys.stderr,
            )
            return 1
        rows = write_table(con, args.table, args.file, raw=args.raw)
    machine = args.raw or args.file.suffix.lower() == ".parquet"
    print(
        f"{rows:,} rows of {args.table} written to {args.file}"
        + (" (exact values, for a machine)" if machine else " (for a spreadsheet)")
    )
    return 0


def _config(args) -> int:
    from core import settings

    if args.name is None:
        with closing(db.connect(args.db, read_only=True)) as con:
            values = settings.all_settings(con)
            defaults = {name for name in values if _is_default(con, name)}
        shown = {
            name: "(not set)" if value is None else value + (" (default)" * (name in defaults))
            for name, value in values.items()
        }
        width = max(len(n) for n in shown)
        value_width = max(len(v) for v in shown.values())
        for name, value in shown.items():
            print(f"{name:<{width}}  {value:<{value_width}}  {settings.SETTINGS[name].help}")
        print("change one with `python -m core config NAME VALUE`")
        return 0
    if args.value is None:
        settings.check_name(args.name)
        with closing(db.connect(args.db, read_only=True)) as con:
            value = settings.get(con, args.name)
        if value is None:
            print(
                f"{args.name} is not set: `python -m core config {args.name} VALUE` sets it",
                file=sys.stderr,
            )
        else:
            print(value)
        return 0
    value = settings.check(args.name, args.value)  # a bad value creates no database
    with closing(db.connect(args.db)) as con:
        stored = settings.put(con, args.name, value)
    print(f"{args.name} set to {stored}{_config_effect(args.name, stored)}")
    return 0


def _is_default(con, name: str) -> bool:
    return db.get_meta(con, f"setting.{name}") is None


def _config_effect(name: str, value: str) -> str:
    """What changing a setting does, in words."""
    from core import settings

    if name == "currency":
        return f": amounts are shown as {settings.currency_symbol(value)}1,234.50"
    if name == "timezone":
        return (
            ": timestamps with an offset imported from now on are converted to it "
            "(rows already loaded keep their clock time)"
        )
    return ""


def _db_path(args) -> Path:
    return args.db if args.db is not None else db.default_path()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {
        "demo": _demo,
        "import": _import,
        "build": _build,
        "export": _export,
        "config": _config,
    }
    try:
        return handlers[args.command](args)
    except db.DatabaseUnavailable as error:
        print(f"error: {error.reason}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        reason = db.damage_reason(_db_path(args), error)
        if reason is None:
            raise
        print(f"error: {reason}", file=sys.stderr)
        return 1
    except (ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
