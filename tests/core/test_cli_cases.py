"""The command line says in one line what is wrong, never a traceback: one row per case.

Each case is the argv (`{d}` is the case's own folder), a setup that fills the folder, the
exit code, words the message must hold, and whether every file in the folder (database,
input, report) must keep its exact bytes: a refused command writes nothing.

Permissions: the suite runs as root here, and root reads and writes through `chmod`. Cases
marked `as_user` therefore run the CLI as the unprivileged user `nobody` (setpriv), on files
it owns with the modes the case sets, so the kernel really refuses; they are skipped when
that is not possible. Run as an ordinary user, they run as that user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core import db
from core.cli import main
from core.export import to_excel_bytes

ROOT = Path(__file__).resolve().parent.parent.parent
NOBODY = 65534
CUSTOMERS_CSV = "customer_id,name,signed_up_at\nc1,Ann,2024-01-05\nc2,Bo,2024-02-01\n"
ONE_BAD_ROW_CSV = "customer_id,name,signed_up_at\nc3,Cy,2024-03-01\nc4,Di,not a date\n"


@dataclass(frozen=True)
class Case:
    id: str
    argv: tuple[str, ...]
    setup: Callable[[Path, Path], None] | None = None  # (case folder, template folder)
    code: int = 1
    words: tuple[str, ...] = ()  # in stderr (or stdout when code is 0), case-insensitive
    unchanged: bool = True  # every file in the folder keeps its bytes, none appears
    lines: int = 1  # lines of the message
    as_user: bool = False  # run as an unprivileged user: permissions really apply
    holder: str | None = None  # another program holding the database: "this" or "build"
    creates: tuple[str, ...] = field(default=())  # files that must appear (code 0 cases)


# --------------------------------------------------------------------------- setups


def _good(d: Path, t: Path) -> None:
    """shop.duckdb: a StarTier database with two customers; customers.csv, bad.csv."""
    shutil.copy(t / "shop.duckdb", d / "shop.duckdb")
    (d / "customers.csv").write_text(CUSTOMERS_CSV)
    (d / "bad.csv").write_text(ONE_BAD_ROW_CSV)


def _with(*steps: Callable[[Path], None]) -> Callable[[Path, Path], None]:
    """The good folder, then `steps` (each given the case folder)."""

    def setup(d: Path, t: Path) -> None:
        _good(d, t)
        for step in steps:
            step(d)

    return setup


def _write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def step(d: Path) -> None:
        path = d / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return step


def _mkdir(name: str) -> Callable[[Path], None]:
    return lambda d: (d / name).mkdir()


def _chmod(name: str, mode: int) -> Callable[[Path], None]:
    return lambda d: (d / name).chmod(mode)


def _copy_template(name: str, as_name: str) -> Callable[[Path, Path], None]:
    def setup(d: Path, t: Path) -> None:
        _good(d, t)
        shutil.copy(t / name, d / as_name)

    return setup


def _truncated(size: int | None) -> Callable[[Path, Path], None]:
    def setup(d: Path, t: Path) -> None:
        _good(d, t)
        data = (t / "big.duckdb").read_bytes()
        (d / "cut.duckdb").write_bytes(data[: size if size is not None else len(data) // 2])

    return setup


def _damaged(d: Path, t: Path) -> None:
    """A whole database whose middle third (the customers' data) is overwritten."""
    _good(d, t)
    data = bytearray((t / "big.duckdb").read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = bytes(range(256)) * (third // 256) + bytes(third % 256)
    (d / "damaged.duckdb").write_bytes(bytes(data))


def _sqlite(d: Path, t: Path) -> None:
    _good(d, t)
    con = sqlite3.connect(d / "shop.sqlite")
    con.execute("create table customers (id text)")
    con.commit()
    con.close()


def _chmod_after_good(*changes: tuple[str, int]) -> Callable[[Path, Path], None]:
    return _with(*(_chmod(name, mode) for name, mode in changes))


# --------------------------------------------------------------------------- the cases

DB = ("--db", "{d}/shop.duckdb")
IMPORT = ("import", "customers", "{d}/customers.csv")
SYS_WRITABLE = os.access("/sys", os.W_OK) and not Path("/sys/class").is_dir()

CASES = [
    # unreadable input files
    Case(
        "input missing", (*IMPORT[:2], "{d}/nope.csv", *DB), _good, 1, ("file not found",), lines=2
    ),
    Case(
        "input a folder",
        (*IMPORT[:2], "{d}/in", *DB),
        _with(_mkdir("in")),
        1,
        ("is a folder",),
        lines=2,
    ),
    Case(
        "input unreadable (mode 000)",
        (*IMPORT, *DB),
        _chmod_after_good(("customers.csv", 0)),
        1,
        ("cannot read", "permission denied"),
        as_user=True,
    ),
    # --report
    Case(
        "report in a missing folder",
        (*IMPORT, "--skip-invalid", "--report", "{d}/no/such/r.csv", *DB),
        _good,
        1,
        ("cannot write the report", "does not exist"),
    ),
    Case(
        "report names a folder",
        (*IMPORT, "--report", "{d}/out", *DB),
        _with(_mkdir("out")),
        1,
        ("is a folder",),
    ),
    Case(
        "report is the input file",
        (*IMPORT, "--skip-invalid", "--report", "{d}/customers.csv", *DB),
        _good,
        1,
        ("is the file being imported",),
    ),
    Case(
        "report is the input, spelt otherwise",
        (
            "import",
            "customers",
            "{d}/bad.csv",
            "--skip-invalid",
            "--report",
            "{d}/out/../bad.csv",
            *DB,
        ),
        _with(_mkdir("out")),
        1,
        ("is the file being imported",),
    ),
    Case(
        "report is the database",
        (*IMPORT, "--report", "{d}/shop.duckdb", *DB),
        _good,
        1,
        ("is the database",),
    ),
    Case(
        "report in a read-only folder",
        (*IMPORT, "--skip-invalid", "--report", "{d}/ro/r.csv", *DB),
        _with(_mkdir("ro"), _chmod("ro", 0o555)),
        1,
        ("cannot write the report", "read-only"),
        as_user=True,
    ),
    Case(
        "default report location read-only",
        ("import", "customers", "{d}/in/bad.csv", "--skip-invalid", *DB),
        _with(
            _mkdir("in"),
            lambda d: shutil.copy(d / "bad.csv", d / "in/bad.csv"),
            _chmod("in", 0o555),
        ),
        1,
        ("cannot write the rejected rows", "read-only", "--report PATH"),
        as_user=True,
    ),
    Case(
        "report in a good place: loads and reports",
        (
            "import",
            "customers",
            "{d}/bad.csv",
            "--skip-invalid",
            "--report",
            "{d}/rejected.csv",
            *DB,
        ),
        _good,
        0,
        ("1 loaded",),
        unchanged=False,
        creates=("rejected.csv",),
    ),
    # --db that is not a StarTier database
    Case(
        "db a folder (import)",
        (*IMPORT, "--db", "{d}/in"),
        _with(_mkdir("in")),
        1,
        ("is a folder, not a database", "--db"),
    ),
    Case(
        "db a folder (export)",
        ("export", "customers", "{d}/c.csv", "--db", "{d}/in"),
        _with(_mkdir("in")),
        1,
        ("is a folder, not a database",),
    ),
    Case(
        "db a 0-byte file (build)",
        ("build", "--db", "{d}/empty.duckdb"),
        _with(_write("empty.duckdb", b"")),
        1,
        ("empty (0 bytes)", "delete it"),
    ),
    Case(
        "db a 0-byte file (import)",
        (*IMPORT, "--db", "{d}/empty.duckdb"),
        _with(_write("empty.duckdb", b"")),
        1,
        ("empty (0 bytes)",),
    ),
    Case(
        "db a CSV file",
        (*IMPORT, "--db", "{d}/customers.csv"),
        _good,
        1,
        ("not a StarTier database", "it is a CSV file", "STARTIER_DB"),
    ),
    Case(
        "db a text file",
        ("build", "--db", "{d}/notes.duckdb"),
        _with(_write("notes.duckdb", "my notes\n")),
        1,
        ("it is a text file",),
    ),
    Case(
        "db an Excel file",
        ("build", "--db", "{d}/x.xlsx"),
        _with(_write("x.xlsx", to_excel_bytes(__import__("pandas").DataFrame({"a": [1]})))),
        1,
        ("it is a zip archive", "Excel"),
    ),
    Case(
        "db a Parquet file",
        ("export", "customers", "{d}/c.csv", "--db", "{d}/p.parquet"),
        _copy_template("customers.parquet", "p.parquet"),
        1,
        ("it is a Parquet file",),
    ),
    Case(
        "db an SQLite database",
        ("config", "--db", "{d}/shop.sqlite"),
        _sqlite,
        1,
        ("it is an SQLite database",),
    ),
    Case(
        "db a DuckDB file of another program",
        ("build", "--db", "{d}/other.duckdb"),
        _copy_template("other.duckdb", "other.duckdb"),
        1,
        ("DuckDB database of another program", "not a StarTier one"),
    ),
    Case(
        "db truncated to half",
        ("build", "--db", "{d}/cut.duckdb"),
        _truncated(None),
        1,
        ("is truncated", "backup"),
    ),
    Case(
        "db truncated to 100 bytes",
        ("export", "customers", "{d}/c.csv", "--db", "{d}/cut.duckdb"),
        _truncated(100),
        1,
        ("is truncated",),
    ),
    Case(
        "db damaged in the middle",
        ("export", "customers", "{d}/c.parquet", "--db", "{d}/damaged.duckdb"),
        _damaged,
        1,
        ("is damaged", "checksum", "backup"),
    ),
    Case(
        "db from a newer StarTier (import)",
        (*IMPORT, "--db", "{d}/future.duckdb"),
        _copy_template("future.duckdb", "future.duckdb"),
        1,
        ("written by a newer StarTier", f"schema {db.SCHEMA_VERSION + 1}", "upgrade"),
    ),
    Case(
        "db from a newer StarTier (export)",
        ("export", "customers", "{d}/c.csv", "--db", "{d}/future.duckdb"),
        _copy_template("future.duckdb", "future.duckdb"),
        1,
        ("written by a newer StarTier",),
    ),
    Case(
        "db held by another program",
        (*IMPORT, *DB),
        _good,
        1,
        ("open in another program", "PID"),
        holder="this",
    ),
    Case(
        "db being written by core build",
        ("build", *DB),
        _good,
        1,
        ("being written by `python -m core build`", "try again when it finishes"),
        holder="build",
    ),
    Case(
        "db missing (export creates nothing)",
        ("export", "customers", "{d}/c.csv", "--db", "{d}/nothing.duckdb"),
        _good,
        1,
        ("no StarTier database at",),
    ),
    Case(
        "db missing (config list creates nothing)",
        ("config", "--db", "{d}/nothing.duckdb"),
        _good,
        1,
        ("no StarTier database at",),
    ),
    # read-only databases
    Case(
        "db file read-only: import refused",
        (*IMPORT, *DB),
        _chmod_after_good(("shop.duckdb", 0o444)),
        1,
        ("is read-only", "copy it"),
        as_user=True,
    ),
    Case(
        "db file read-only: build refused",
        ("build", *DB),
        _chmod_after_good(("shop.duckdb", 0o444)),
        1,
        ("is read-only",),
        as_user=True,
    ),
    Case(
        "db file read-only: config change refused",
        ("config", "currency", "GBP", *DB),
        _chmod_after_good(("shop.duckdb", 0o444)),
        1,
        ("is read-only",),
        as_user=True,
    ),
    Case(
        "db folder read-only: import refused",
        (*IMPORT, "--db", "{d}/ro/shop.duckdb"),
        _with(
            _mkdir("ro"),
            lambda d: shutil.copy(d / "shop.duckdb", d / "ro/shop.duckdb"),
            _chmod("ro", 0o555),
        ),
        1,
        ("is read-only", "its folder"),
        as_user=True,
    ),
    Case(
        "db file read-only: export works",
        ("export", "customers", "{d}/c.parquet", *DB),
        _chmod_after_good(("shop.duckdb", 0o444)),
        0,
        ("2 rows of customers",),
        as_user=True,
        creates=("c.parquet",),
    ),
    Case(
        "db file read-only: config list works",
        ("config", *DB),
        _chmod_after_good(("shop.duckdb", 0o444)),
        0,
        ("currency", "timezone"),
        as_user=True,
    ),
    # exports
    Case(
        "export into a missing folder",
        ("export", "customers", "{d}/no/c.csv", *DB),
        _good,
        1,
        ("cannot write", "does not exist"),
    ),
    Case(
        "export onto a folder",
        ("export", "customers", "{d}/out", *DB),
        _with(_mkdir("out")),
        1,
        ("is a folder",),
    ),
    Case(
        "export into a read-only folder",
        ("export", "customers", "{d}/ro/c.csv", *DB),
        _with(_mkdir("ro"), _chmod("ro", 0o555)),
        1,
        ("cannot write", "read-only"),
        as_user=True,
    ),
    Case(
        "export over a read-only file",
        ("export", "customers", "{d}/old.csv", *DB),
        _with(_write("old.csv", "x\n"), _chmod("old.csv", 0o444)),
        1,
        ("cannot write", "read-only"),
        as_user=True,
    ),
    Case(
        "export where even root cannot write (/sys)",
        ("export", "customers", "/sys/startier.csv", *DB),
        _good,
        1,
        ("cannot write", "permission denied"),
    ),
    Case(
        "export of a table not built yet",
        ("export", "customer_features", "{d}/f.csv", *DB),
        _good,
        1,
        ("does not exist yet", "python -m core build"),
    ),
    Case(
        "export --raw to Excel",
        ("export", "customers", "{d}/c.xlsx", "--raw", *DB),
        _good,
        1,
        ("--raw", ".xlsx"),
    ),
    Case(
        "export to an unknown format",
        ("export", "customers", "{d}/c.json", *DB),
        _good,
        1,
        (".csv, .xlsx or .parquet",),
    ),
    # config
    Case(
        "config a bad currency",
        ("config", "currency", "pounds", *DB),
        _good,
        1,
        ("ISO 4217", "GBP"),
    ),
    Case(
        "config a bad time zone",
        ("config", "timezone", "Mars/Base", *DB),
        _good,
        1,
        ("IANA", "Asia/Shanghai"),
    ),
    Case(
        "config an unknown setting",
        ("config", "colour", "red", *DB),
        _good,
        1,
        ("unknown setting", "currency, timezone"),
    ),
    Case(
        "config a bad value creates no database",
        ("config", "currency", "£", "--db", "{d}/new.duckdb"),
        _good,
        1,
        ("ISO 4217",),
    ),
    Case(
        "config on a CSV file",
        ("config", "currency", "GBP", "--db", "{d}/customers.csv"),
        _good,
        1,
        ("not a StarTier database",),
    ),
]


# --------------------------------------------------------------------------- the runner


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> Path:
    """Databases the setups copy: a small shop, a big one (to cut or damage), one from a
    newer StarTier, a DuckDB file of another program, a Parquet file."""
    t = tmp_path_factory.mktemp("templates")
    con = db.connect(t / "shop.duckdb")
    con.execute(
        "insert into customers (customer_id, name, signed_up_at) "
        "values ('c1', 'Ann', '2024-01-05'), ('c2', 'Bo', '2024-02-01')"
    )
    con.execute("copy customers to $p (format parquet)", {"p": str(t / "customers.parquet")})
    con.close()
    con = db.connect(t / "big.duckdb")
    con.execute(
        "insert into customers (customer_id, name, email, signed_up_at) "
        "select 'c' || i, 'name ' || (i * 7919 % 100003), md5(i::varchar) || '@x.example', "
        "'2024-01-01'::timestamp + i * interval 1 minute from range(60000) t(i)"
    )
    con.close()
    shutil.copy(t / "shop.duckdb", t / "future.duckdb")
    import duckdb

    raw = duckdb.connect(str(t / "future.duckdb"))
    raw.execute("insert into schema_migrations (version) values (?)", [db.SCHEMA_VERSION + 1])
    raw.close()
    raw = duckdb.connect(str(t / "other.duckdb"))
    raw.execute("create table invoices (id integer)")
    raw.close()
    return t


def _as_user_prefix() -> list[str] | None:
    """The command prefix that runs as an unprivileged user, or None when impossible."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    probe = subprocess.run(
        [*prefix, sys.executable, "-c", "import duckdb, core"],
        cwd=ROOT,
        capture_output=True,
    )
    return prefix if probe.returncode == 0 else None


@pytest.fixture(scope="module")
def as_user() -> list[str] | None:
    return _as_user_prefix()


@pytest.fixture
def folder():
    """A folder another user can work in (pytest's tmp_path is root's alone)."""
    d = Path(tempfile.mkdtemp(prefix="startier-case-"))
    d.chmod(0o777)
    yield d
    for path in [d, *d.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777)
    shutil.rmtree(d)


def _fingerprint(d: Path) -> dict[str, str]:
    """Every file under `d` and its SHA-256 (what a refused command must not change)."""
    out = {}
    for path in sorted(d.rglob("*")):
        if path.is_file():
            try:
                out[str(path.relative_to(d))] = hashlib.sha256(path.read_bytes()).hexdigest()
            except PermissionError:
                out[str(path.relative_to(d))] = f"unreadable {path.stat().st_mtime_ns}"
    return out


def _hold(kind: str, path: Path):
    """Another program holding the database's write lock: this process, or a program whose
    command line is `python ... -m core build` (as `python -m core build` would)."""
    if kind == "this":
        con = db.connect(path)
        return con.close
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, duckdb; con = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)",
            str(path),
            "-m",
            "core",
            "build",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "ready"

    def stop() -> None:
        holder.kill()
        holder.wait()

    return stop


def _run_cli(argv: list[str], prefix: list[str] | None, capsys) -> tuple[int, str, str]:
    if prefix is None:
        code = main(argv)
        out = capsys.readouterr()
        return code, out.out, out.err
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "core", *argv], cwd=ROOT, capture_output=True, text=True
    )
    return done.returncode, done.stdout, done.stderr


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_cli_case(case: Case, templates, folder, as_user, capsys):
    if case.as_user and as_user is None:
        pytest.skip("running as root without setpriv: root is not refused by file modes")
    if "/sys/" in " ".join(case.argv) and (SYS_WRITABLE or not Path("/sys").is_dir()):
        pytest.skip("no folder here that even root cannot write")
    d = folder
    if case.setup is not None:
        case.setup(d, templates)
    if case.as_user and os.geteuid() == 0:
        for path in [d, *d.rglob("*")]:
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
    before = _fingerprint(d)
    argv = [arg.replace("{d}", str(d)) for arg in case.argv]
    release = _hold(case.holder, d / "shop.duckdb") if case.holder else None
    try:
        prefix = as_user if case.as_user else ([] if case.holder == "this" else None)
        code, out, err = _run_cli(argv, prefix, capsys)
    finally:
        if release is not None:
            release()
    message = err if case.code else out
    assert "Traceback" not in err, err
    assert code == case.code, (out, err)
    for word in case.words:
        assert word.lower() in message.lower(), message
    if case.code:
        assert len(err.strip().splitlines()) == case.lines, err
        assert err.startswith("error: ")
    after = _fingerprint(d)
    for name in case.creates:
        assert name in after and name not in before
    if case.unchanged:
        created = set(case.creates)
        assert {k: v for k, v in after.items() if k not in created} == before


def test_there_are_enough_cases():
    assert len(CASES) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


def test_a_holder_that_exits_frees_the_database(folder, templates, capsys):
    """After the program holding it ends, the same command works (the message was right
    to say 'try again')."""
    _good(folder, templates)
    stop = _hold("build", folder / "shop.duckdb")
    stop()
    time.sleep(0.1)
    assert main(["config", "currency", "GBP", "--db", str(folder / "shop.duckdb")]) == 0
    assert "currency set to GBP" in capsys.readouterr().out
