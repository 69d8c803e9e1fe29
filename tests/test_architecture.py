"""The house rules of DESIGN.md, checked by reading the code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from ui.navigation import PAGES

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


# ui/ in two tiers: shared modules any page may use, and one module per page named after
# its file in pages/ (ui/stars.py for pages/stars.py) that only that page imports.
SHARED_UI = {
    "charts",  # figure builders
    "data",  # the connection and the data state
    "drill",  # a click on a chart opening the customers behind it: key, pick, Close, list
    "empty",  # the empty-database page
    "export",  # the download buttons
    "filters",  # the shared filters: sidebar editor, chips, the chosen customers
    "format",  # numbers, money, dates in the reader's language
    "frame",  # page config, sidebar, navigation around every page
    "i18n",  # the catalogs
    "labels",  # codes from the data in words
    "models",  # the customer models several pages use, and why one cannot run
    "navigation",  # the registry of pages
    "offers",  # offers and their reasons in words (What to offer next, Customer 360)
    "privacy",  # personal data masked where they leave core for a screen or a file
    "report",  # the page being drawn as one HTML file (the frame offers it on every page)
    "session",  # what one page chose that another follows
    "sidebar",  # language and as-of date
    "theme",  # the one plotly template and the concept colours
    "widgets",  # tables, tiles, choices, missing-input notes
}
PAGE_NAMES = {p.stem for p in (ROOT / "pages").glob("*.py")}


def _ui_imports(path: Path) -> set[str]:
    """The ui modules `path` imports: `ui.x` of `import ui.x`, `from ui.x import y` and
    `from ui import x` (a function-level import counts too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "ui":
            names = [f"ui.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        found.update(n.split(".")[1] for n in names if n.startswith("ui.") and "." in n)
    return found


def _ui_modules() -> dict[str, Path]:
    return {p.stem: p for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__"}


def test_every_ui_module_is_shared_or_a_page_module():
    strays = set(_ui_modules()) - SHARED_UI - PAGE_NAMES
    assert not strays, (
        f"ui/{strays}: a page module is named after its file in pages/; "
        "a module several pages use goes in SHARED_UI"
    )
    assert not SHARED_UI & PAGE_NAMES, "a shared module cannot be named like a page"


def test_page_modules_import_only_shared_ui_and_core():
    """ui/<page>.py may use core and the shared ui modules, never another page's module
    (what two pages share belongs in a shared one)."""
    for name, path in _ui_modules().items():
        if name not in PAGE_NAMES:
            continue
        borrowed = _ui_imports(path) - SHARED_UI
        assert not borrowed, f"ui/{name}.py imports page module(s) {borrowed}: share it"
        assert not {"pages", "app"} & _imports(path), f"ui/{name}.py imports a page"


def test_shared_modules_import_no_page_module():
    for name, path in _ui_modules().items():
        if name in SHARED_UI:
            pages = _ui_imports(path) & PAGE_NAMES
            assert not pages, f"shared ui/{name}.py imports page module(s) {pages}"


def test_pages_import_only_shared_ui_and_their_own_module():
    for page in (ROOT / "pages").glob("*.py"):
        borrowed = _ui_imports(page) - SHARED_UI - {page.stem}
        assert not borrowed, f"pages/{page.name} imports {borrowed}: only its own ui module"


def test_core_never_imports_streamlit():
    offenders = [p for p in (ROOT / "core").rglob("*.py") if "streamlit" in _imports(p)]
    assert not offenders, f"core/ must not import streamlit: {offenders}"


def test_pages_do_no_domain_work():
    pattern = re.compile(r"\bselect\s+.+\bfrom\b|\.execute\(|\.groupby\(|import duckdb", re.I)
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        assert not pattern.search(text), f"{page.name} does SQL or groupby: move it to core/"
        assert "core" not in _imports(page), f"{page.name} imports core/: go through ui/"


def test_every_page_file_is_registered_and_every_registered_page_exists():
    files = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    registered = {spec.path for spec in PAGES}
    assert files == registered


SQL_WORDS = re.compile(r"\b(select|where|insert|update|delete|values|set)\b", re.I)
IDENTIFIERS_ONLY = "# sql: idents"
VALUE_IN_FSTRING = re.compile(r"""f(["']).*?(?:'\{[^}]*\}'|[=<>]\s*\{[^}]*\})""")


def test_sql_values_are_bound_not_formatted():
    """No value is formatted into SQL text in core/: no f-string SQL with a quoted `'{x}'`
    or a `= {x}` comparison. Identifiers checked against the contract may be formatted,
    values never: a line that compares identifiers only says so with the marker
    `# sql: idents`, for a reviewer to check."""
    offenders = [
        f"{p.name}:{n}"
        for p in (ROOT / "core").rglob("*.py")
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if VALUE_IN_FSTRING.search(line)
        and SQL_WORDS.search(line)
        and not line.endswith(IDENTIFIERS_ONLY)
    ]
    assert not offenders, f"values formatted into SQL at {offenders}: bind them"


def test_every_table_goes_through_the_shared_table():
    """Tables look alike on every page (unknown shown as "–", never "None"; money in the
    database's currency): pages and ui show them with ui.widgets.show_table."""
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in [*(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
        if p.name != "widgets.py"
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if ".dataframe(" in line
    ]
    assert not offenders, f"st.dataframe at {offenders}: use ui.widgets.show_table"


def test_every_tile_goes_through_the_shared_row():
    """KPI tiles look alike on every page (bordered, in rows, a change against an earlier
    period said the one way): pages and ui show them with ui.widgets.metric_row, the only
    module that calls `.metric(` (st.metric or a column's)."""
    offenders = [
        f"{p.relative_to(ROOT)}:{node.lineno}"
        for p in [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")]
        if p.name != "widgets.py" or p.parent.name != "ui"
        for node in ast.walk(ast.parse(p.read_text("utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "metric"
    ]
    assert not offenders, f"st.metric at {offenders}: use ui.widgets.metric_row with Tiles"


TRANSACTION_STATEMENT = re.compile(
    r"\s*((begin|commit|rollback|abort)(\s+(transaction|work))?|(start|end)\s+transaction)\s*;?\s*",
    re.I,
)


def test_transactions_go_through_core_db():
    """Writes that land together use `core.db.transaction()` (commit, or roll back on any
    exception, KeyboardInterrupt included): no module but core/db.py runs `begin`,
    `commit` or `rollback` itself (a call whose first argument is such a statement)."""
    allowed = {"core/db.py"}
    files = [
        ROOT / "app.py",
        *(p for d in ("core", "ui", "pages") for p in (ROOT / d).rglob("*.py")),
    ]
    offenders = [
        f"{name}:{node.lineno}"
        for file in files
        if (name := file.relative_to(ROOT).as_posix()) not in allowed
        for node in ast.walk(ast.parse(file.read_text("utf-8")))
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
        and TRANSACTION_STATEMENT.fullmatch(node.args[0].value)
    ]
    assert not offenders, f"transactions written by hand at {offenders}: use db.transaction"
