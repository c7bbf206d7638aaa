"""The pure core stays pure: no clock, no files, no network (../shared/style.md, "pure stages import no I/O module").

Due dates must depend only on the export and the profile (issue 2), so no core module may ask for
today's date; and data flows one way, so no core module imports the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
PURE_CORE = [
    "contract_types.py",
    "export_model.py",
    "amendment_model.py",
    "export_checks.py",
    "contract.py",
    "calendar.py",
    "visibility.py",
    "document_text.py",
    "address_guard.py",
    "plan_types.py",
    "distribution.py",
    "timeliness.py",
    "copy_state.py",
    "status_report.py",
    "amendments.py",
    "history.py",
    "printable.py",  # issue 10: which fields hold a character no font prints
    "terminal_text.py",  # issue 10: control characters escaped for a terminal
]
IO_MODULES = {
    "os",
    "pathlib",
    "shutil",
    "socket",
    "subprocess",
    "sqlite3",
    "urllib",
    "http",
    "smtplib",
}
CLOCK_CALLS = {"today", "now", "utcnow", "time"}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0] if node.level == 0 else node.module)
            if node.module.startswith("pipeline."):
                names.add(node.module)
    return names


@pytest.mark.parametrize("module", PURE_CORE)
def test_core_module_imports_no_io_and_not_the_cli(module: str) -> None:
    tree = ast.parse((PIPELINE / module).read_text(encoding="utf-8"))
    imported = _imports(tree)
    assert not imported & IO_MODULES, f"{module} imports {imported & IO_MODULES}"
    assert "pipeline.cli" not in imported


@pytest.mark.parametrize("module", PURE_CORE)
def test_core_module_never_reads_the_clock(module: str) -> None:
    tree = ast.parse((PIPELINE / module).read_text(encoding="utf-8"))
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & CLOCK_CALLS, f"{module} calls {calls & CLOCK_CALLS}"


def test_every_core_module_is_listed_here() -> None:
    # A new pure module must be added to PURE_CORE (or be one of the edges named here).
    # Edges: they read files (profiles, templates), lay out or write documents, or talk to people.
    edges = {
        "__init__.py",
        "cli.py",
        "errors.py",
        "profile.py",
        "compose.py",
        "render_pdf.py",
        "render_docx.py",
        "pdf_finish.py",
        "outbox.py",
        "process.py",
        # issue 4: the service around the core
        "config.py",
        "intake.py",  # libmagic
        "inbox.py",
        "watcher.py",
        "store.py",
        "store_schema.py",
        "ingest.py",
        "handover_sheet.py",
        "distribute.py",
        "channels.py",
        "deliver_email.py",
        "post_batch.py",
        "cli_output.py",
        # issue 5
        "amendment_intake.py",
        "atomic_files.py",
        # issue 10: asks fontconfig what the installed fonts print
        "fonts.py",
        # issue 10: the real clock, read in one place
        "clock.py",
    }
    present = {p.name for p in PIPELINE.glob("*.py")}
    assert present - edges == set(PURE_CORE), (present - edges) ^ set(PURE_CORE)


REDACTION = PIPELINE.parent / "redaction"
PURE_REDACTION = ["view.py", "plain_language.py", "withheld.py"]


@pytest.mark.parametrize("module", PURE_REDACTION)
def test_redaction_views_are_pure(module: str) -> None:
    # The view is built from data alone: no files, no clock, no renderer (a renderer never
    # receives what a recipient may not see, because the view is made before it is called).
    tree = ast.parse((REDACTION / module).read_text(encoding="utf-8"))
    imported = _imports(tree)
    assert not imported & IO_MODULES, f"{module} imports {imported & IO_MODULES}"
    assert not {"weasyprint", "docxtpl", "docx", "jinja2"} & imported
