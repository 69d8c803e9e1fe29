"""The table-driven import suite's parts: one `Case` per kind of file, one runner.

A case names the table, the file (bytes and a name), what the database held before (the
`start` files, imported first), the words the message must hold (empty: the import must
succeed) and the database fingerprint expected afterwards: the rows of the tables the case
looks at, or `UNCHANGED` when the import must leave every table as it was.

The cases themselves live in test_import_cases_*.py, grouped by what they are about.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core import db, importer
from core.contract import RAW_TABLES

UNCHANGED = "unchanged"

CUSTOMERS = (
    "customer_id,name,email,phone,signed_up_at,acquisition_cost\n"
    "C1,Ann Lee,ann@example.com,+86 138 0000 0000,2024-01-05,12.5\n"
    "C2,Bo Chen,bo@example.com,555-0102,2024-02-10,0\n"
)
START = {"customers": CUSTOMERS}


@dataclass(frozen=True)
class Case:
    """One row of the suite."""

    id: str
    table: str
    content: bytes | str | Callable[[Path], Path]  # text is written as UTF-8
    name: str = "input.csv"
    words: tuple[str, ...] = ()  # all must appear in the message; () = must load
    expect: dict[str, list[tuple]] | str = UNCHANGED  # table -> rows (select ... order by)
    columns: dict[str, str] = field(default_factory=dict)  # table -> the select list
    start: dict[str, str] = field(default_factory=lambda: dict(START))  # table -> CSV text
    kwargs: dict = field(default_factory=dict)  # passed to import_file
    settings: dict[str, str] = field(default_factory=dict)  # core.settings before the import


def fingerprint(con) -> str:
    """A hash of every raw table's rows (in a fixed order) and the data version."""
    digest = hashlib.sha256()
    for table in RAW_TABLES:
        for row in con.execute(f"select * from {table} order by all").fetchall():
            digest.update(repr(row).encode())
    digest.update(str(db.data_version(con)).encode())
    return digest.hexdigest()


def write_case_file(case: Case, tmp_path: Path) -> Path:
    if callable(case.content):
        return case.content(tmp_path)
    path = tmp_path / case.name
    data = case.content.encode("utf-8") if isinstance(case.content, str) else case.content
    path.write_bytes(data)
    return path


def run_case(case: Case, tmp_path: Path) -> None:
    """Import the case's file on a database holding its start files; check message and rows."""
    from core import settings

    con = db.connect(tmp_path / "case.duckdb")
    try:
        for name, value in case.settings.items():
            settings.put(con, name, value)
        for table, text in case.start.items():
            start = tmp_path / f"start-{table}.csv"
            start.write_text(text, encoding="utf-8")
            importer.import_file(con, table, start)
        path = write_case_file(case, tmp_path)
        before = fingerprint(con)
        if case.words:
            with pytest.raises(importer.ImportFailed) as caught:
                importer.import_file(con, case.table, path, **case.kwargs)
            message = str(caught.value)
            for word in case.words:
                assert word in message, f"{word!r} not in:\n{message}"
        else:
            importer.import_file(con, case.table, path, **case.kwargs)
        if case.expect == UNCHANGED:
            assert fingerprint(con) == before, "the database changed"
        else:
            for table, rows in case.expect.items():
                select = case.columns.get(table, "*")
                found = con.execute(f"select {select} from {table} order by all").fetchall()
                assert found == rows, f"{table}: {found} != {rows}"
    finally:
        con.close()
