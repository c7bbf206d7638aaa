"""The layout stays as ../shared/design/layout.md draws it (../shared/style.md, "pure stages import no I/O module").

Which package may import which, and that the pure core imports no I/O, is import-linter's job
(`[tool.importlinter]` in pyproject.toml, run by the test command). What it cannot see is checked
here: the pure core never reads the clock (due dates depend only on the export and the profile),
modules and classes stay small enough to read, each package says what it does, and the README's
layout section names exactly the packages that exist.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "pipeline"
PURE_PACKAGES = ("contract", "procedure", "planning", "redaction")
CLOCK_CALLS = {"today", "now", "utcnow", "time", "monotonic"}
MODULE_LINES = 400
CLASS_LINES = 250


def _modules(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py") if "migrations" not in p.parts)


PURE_MODULES = _modules(*(PIPELINE / name for name in PURE_PACKAGES))
ALL_MODULES = _modules(PIPELINE, ROOT / "redaction")
PACKAGES = sorted(p.parent for p in PIPELINE.glob("*/__init__.py"))


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("module", PURE_MODULES, ids=_id)
def test_pure_module_never_reads_the_clock(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & CLOCK_CALLS, f"{_id(module)} calls {calls & CLOCK_CALLS}"


def test_the_pure_packages_exist() -> None:
    # Guards the two checks above and import-linter's forbidden contract against a rename that
    # would leave them checking nothing.
    assert all((PIPELINE / name / "__init__.py").is_file() for name in PURE_PACKAGES)
    assert len(PURE_MODULES) >= 20


@pytest.mark.parametrize("module", ALL_MODULES, ids=_id)
def test_no_module_is_too_long_to_read(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MODULE_LINES, f"{_id(module)} has {lines} lines"


@pytest.mark.parametrize("module", ALL_MODULES, ids=_id)
def test_no_class_is_too_long_to_read(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    long = {
        node.name: (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > CLASS_LINES
    }
    assert not long, f"{_id(module)}: {long}"


@pytest.mark.parametrize("package", PACKAGES, ids=_id)
def test_each_package_names_its_entry_point(package: Path) -> None:
    doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert doc and "Entry point" in doc, f"{_id(package)}/__init__.py does not say its entry point"
    named = re.findall(r"`(pipeline\.[\w.]+)", doc)
    assert named, doc
    for dotted in named:
        parts = dotted.split(".")
        # The longest prefix that is a module file; what follows must be a name defined in it.
        for cut in range(len(parts), 1, -1):
            file = ROOT.joinpath(*parts[:cut]).with_suffix(".py")
            if file.is_file():
                rest = parts[cut:]
                break
        else:
            pytest.fail(f"{dotted} names no module")
        if rest:
            tree = ast.parse(file.read_text(encoding="utf-8"))
            defined = {
                getattr(node, "name", None)
                for node in tree.body
                if isinstance(node, ast.FunctionDef | ast.ClassDef)
            } | {
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            assert rest[0] in defined, f"{dotted}: {rest[0]} is not defined in {_id(file)}"


def test_readme_layout_names_exactly_the_packages() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\|\s*`pipeline/(\w+)/`", section, flags=re.MULTILINE))
    assert listed == {p.name for p in PACKAGES}
