"""Every page on a database that cannot be used now: one sentence, what to do, no stack."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from core import db
from ui.navigation import PAGES

PAGE_PATHS = [spec.path for spec in PAGES]


def _open(app_on, path, page: str, lang: str | None = None):
    at = app_on(path, lang=lang)
    return at.switch_page(page).run()


def _says_only(at, words: str) -> str:
    """The page shows one error naming `words`, no exception, no figures."""
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value
    assert words in message
    assert "Traceback" not in message and "Error" not in message
    assert not at.metric
    return message


@pytest.fixture
def truncated_db(small_db, tmp_path):
    path = tmp_path / "cut.duckdb"
    shutil.copyfile(small_db, path)
    with path.open("r+b") as file:
        file.truncate(path.stat().st_size // 2)
    return path


@pytest.fixture
def newer_db(small_db, tmp_path):
    path = tmp_path / "newer.duckdb"
    shutil.copyfile(small_db, path)
    con = db.connect(path)
    con.execute("insert into schema_migrations (version) values (?)", [db.SCHEMA_VERSION + 1])
    con.close()
    return path


@pytest.mark.parametrize("page", PAGE_PATHS)
def test_a_truncated_file_says_so_on_every_page(app_on, truncated_db, page):
    message = _says_only(_open(app_on, truncated_db, page), "is truncated")
    assert "restore it from a backup" in message
    assert r"\_" in message  # the path's underscores shown as typed, not as emphasis


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_file_from_a_newer_startier(app_on, newer_db, lang):
    at = _open(app_on, newer_db, "pages/stars.py", lang)
    _says_only(at, "newer StarTier")
    assert at.title[0].value == (
        "暂时无法使用数据库" if lang == "zh" else "The database cannot be used right now"
    )


def test_while_core_build_writes_the_file(app_on, small_db, tmp_path):
    path = tmp_path / "busy.duckdb"
    shutil.copyfile(small_db, path)
    # a process that holds the file as `python -m core build` does (its command line says so)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); "
            "sys.stdin.read()",
            str(path),
            "-m core build",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"  # the lock is held from here
        at = _open(app_on, path, "pages/overview.py")
        _says_only(at, "is being written by `python -m core build` right now")
        assert at.button[0].label == "Try again"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    at.button[0].click().run()  # the build is over: the page opens
    assert not at.exception and not at.error
    assert at.metric
