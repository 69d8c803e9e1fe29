"""Benchmarks on a 1,000,000-customer database: `make bench` (or `python -m bench.run`).

Builds the bench database once under bench/.data/ (git-ignored) and times:
- the demo build at 1M customers (only when the database is built, or with --rebuild);
- an import of a 20-million-row transactions CSV into an empty database;
- `core build` (the derived tables) on the 1M database;
- re-rating every customer after a star-rule slider change (core);
- one loyalty-programme scenario, 200 Monte Carlo runs over 12 months (core);
- every page's script run through app.py, cold and with a warm cache.
Figures go to bench/results.json and bench/RESULTS.md with the machine they ran on.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

from core import db
from core.build import build
from core.demo import build_demo
from core.importer import import_file

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"  # both rewritten by every run
DEMO_END = dt.date(2026, 11, 20)


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    value = fn(*args, **kwargs)
    return value, time.perf_counter() - started


def bench_demo(path: Path, customers: int, rebuild: bool) -> dict:
    if path.exists() and not rebuild:
        con = db.connect(path)
        return {"skipped": "database already built (use --rebuild to time it)", **_sizes(con)}
    path.unlink(missing_ok=True)
    con = db.connect(path)
    _, seconds = _timed(build_demo, con, customers=customers, seed=1, end=DEMO_END)
    _, build_seconds = _timed(build, con)
    con.close()
    return {
        "seconds": round(seconds, 2),
        "build_seconds": round(build_seconds, 2),
        **_sizes(db.connect(path)),
    }


def _sizes(con) -> dict:
    return {f"rows_{name}": n for name, n in db.row_counts(con).items()}


def write_transactions_csv(path: Path, rows: int, customers: int) -> None:
    """A realistic 20M-row transactions export (ISO timestamps, two decimals)."""
    if path.exists():
        return
    con = db.connect(DATA / "scratch.duckdb")
    con.execute(
        """
        copy (
            select
                'T' || lpad(i::varchar, 9, '0') as transaction_id,
                'C' || lpad((hash(i) % $customers)::varchar, 7, '0') as customer_id,
                strftime(timestamp '2023-11-20' + to_seconds((hash(i * 7) % 94608000)::bigint),
                         '%Y-%m-%d %H:%M:%S') as ordered_at,
                round(20 + (hash(i * 13) % 100000) / 100.0, 2) as amount,
                round((20 + (hash(i * 13) % 100000) / 100.0) * 0.6, 2) as cost,
                1 + hash(i * 17) % 5 as quantity,
                ['beauty', 'apparel', 'food', 'electronics', 'home', 'baby'][
                    (1 + hash(i) % 6)::bigint
                ] as product_category,
                ['app', 'mini_program', 'web', 'store'][(1 + hash(i * 3) % 4)::bigint] as channel
            from range($rows) as r(i)
        ) to '"""
        + str(path)
        + "' (header, delimiter ',')",  # path is ours, not user input
        {"rows": rows, "customers": customers},
    )
    con.close()
    (DATA / "scratch.duckdb").unlink(missing_ok=True)


def bench_import(csv: Path, rows: int) -> dict:
    target = DATA / "import-target.duckdb"
    target.unlink(missing_ok=True)
    con = db.connect(target)
    result, seconds = _timed(import_file, con, "transactions", csv)
    con.close()
    target.unlink(missing_ok=True)
    return {
        "rows": result.rows_loaded,
        "customers_created": result.customers_created,
        "seconds": round(seconds, 2),
        "rows_per_second": round(result.rows_loaded / seconds),
        "file_mb": round(csv.stat().st_size / 1e6),
    }


def bench_build(path: Path) -> dict:
    con = db.connect(path)
    result, seconds = _timed(build, con)
    con.close()
    return {"seconds": round(seconds, 2), "customer_features": result.customer_features}


def bench_pages(path: Path, repeats: int = 5) -> dict:
    """Every page's script run through app.py: the first (cold) run and warm reruns."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import without_legacy_pages_mode
    from ui.navigation import PAGES

    os.environ[db.ENV_VAR] = str(path)
    figures = {}
    with without_legacy_pages_mode():
        at = AppTest.from_file(str(HERE.parent / "app.py"), default_timeout=600)
        for spec in PAGES:
            at.switch_page(spec.path)
            _, cold = _timed(at.run)
            assert not at.exception, f"{spec.path}: {at.exception}"
            warm = [_timed(at.run)[1] for _ in range(repeats)]
            figures[spec.url_path] = {
                "cold_seconds": round(cold, 3),
                "warm_seconds_median": round(statistics.median(warm), 3),
                "warm_seconds_max": round(max(warm), 3),
            }
            print(spec.url_path, figures[spec.url_path], flush=True)
    return figures


def bench_rerating(path: Path, repeats: int = 7) -> dict:
    """Re-rating every customer after a slider change (core, numpy): median of repeats."""
    from core import stars

    con = db.connect(path, read_only=True)
    base = stars.rating_base(con, build_as_of(con))
    con.close()
    rules = stars.DEFAULT_RULES
    seconds = [_timed(stars.rate, base.dims, rules)[1] for _ in range(repeats)]
    return {"customers": len(base.dims), "median_ms": round(statistics.median(seconds) * 1e3, 1)}


def bench_loyalty(path: Path, runs: int = 200) -> dict:
    """One loyalty scenario (points + tiers), 200 Monte Carlo runs over 12 months, on the
    customer model and in simple mode (history read once, as the page caches it)."""
    from core import loyalty

    con = db.connect(path, read_only=True)
    programme = loyalty.PRESETS["points_tiers"]
    models, fit_seconds = _timed(loyalty.loyalty_models, con)
    _, seconds = _timed(loyalty.simulate_programme, con, programme, runs=runs, models=models)
    history, history_seconds = _timed(loyalty.simple_history, con)
    _, simple_seconds = _timed(loyalty.simulate_simple, con, programme, runs=runs, history=history)
    con.close()
    return {
        "runs": runs,
        "fit_seconds": round(fit_seconds, 2),
        "simulate_seconds": round(seconds, 2),
        "simple_history_seconds": round(history_seconds, 2),
        "simple_simulate_seconds": round(simple_seconds, 2),
    }


def build_as_of(con) -> dt.date:
    return db.built_as_of(con)


def write_results(results: dict) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=2, default=str) + "\n")
    lines = [
        "# Benchmark results",
        "",
        f"Run {results['when']} on {results['machine']}. Regenerate with `make bench`.",
        "",
        "| measure | figure |",
        "|---|---|",
    ]
    for section, figures in results["figures"].items():
        for key, value in figures.items():
            parts = value.items() if isinstance(value, dict) else [("", value)]
            lines += [f"| {section}: {key} {part} | {figure} |" for part, figure in parts]
    RESULTS_MD.write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=20_000_000, help="rows in the import CSV")
    parser.add_argument("--rebuild", action="store_true", help="rebuild and time the demo")
    parser.add_argument("--skip-import", action="store_true")
    args = parser.parse_args()

    DATA.mkdir(exist_ok=True)
    bench_db = DATA / f"bench-{args.customers}.duckdb"
    figures = {}
    figures["demo"] = bench_demo(bench_db, args.customers, args.rebuild)
    print("demo", figures["demo"], flush=True)
    if not args.skip_import:
        csv = DATA / f"transactions-{args.rows}.csv"
        write_transactions_csv(csv, args.rows, args.customers)
        figures["import"] = bench_import(csv, args.rows)
        print("import", figures["import"], flush=True)
    figures["build"] = bench_build(bench_db)
    print("build", figures["build"], flush=True)
    figures["rerating"] = bench_rerating(bench_db)
    print("rerating", figures["rerating"], flush=True)
    figures["loyalty"] = bench_loyalty(bench_db)
    print("loyalty", figures["loyalty"], flush=True)
    figures["pages"] = bench_pages(bench_db)
    write_results(
        {
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python "
            f"{platform.python_version()}",
            "customers": args.customers,
            "figures": figures,
        }
    )


if __name__ == "__main__":
    main()
