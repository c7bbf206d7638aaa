"""axe-core on a page as a person sees it: no serious or critical violation of WCAG 2.2 AA (issue 15).

Public-sector services must meet WCAG 2.2 AA. axe-core comes from the npm registry with the
front desk's assets (scripts/bootstrap, pipeline/web/assets/package-lock.json) and is put into
the page by the test as the script's text, not fetched, so the request guard sees nothing of it.
The context is made with `bypass_csp`, so the app's own Content-Security-Policy (which should
refuse inline scripts) does not refuse the checker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parents[2] / "pipeline/web/assets/node_modules/axe-core/axe.min.js"
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
FAILING = frozenset({"serious", "critical"})

_RUN = """async (tags) => await axe.run(document, {runOnly: {type: "tag", values: tags}})"""


def violations(page: Page) -> list[dict[str, Any]]:
    """axe's violations on the page as it is now, of any impact."""
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: scripts/bootstrap installs it (npm ci)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = page.evaluate(_RUN, list(TAGS))
    found: list[dict[str, Any]] = result["violations"]
    return found


def describe(violation: dict[str, Any]) -> str:
    """One violation as a reader of the test's failure needs it: the rule, how bad, what it
    asks, and where on the page."""
    where = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
    more = len(violation["nodes"]) - 5
    tail = f" (and {more} more)" if more > 0 else ""
    return (
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"[{violation['helpUrl']}] at {where}{tail}"
    )


def assert_accessible(page: Page, name: str) -> None:
    """Fail naming every serious or critical violation on the page; `name` says which page."""
    bad = [v for v in violations(page) if v["impact"] in FAILING]
    if bad:
        lines = "\n".join(f"  {describe(v)}" for v in bad)
        raise AssertionError(f"axe: the {name} page ({page.url}) fails WCAG 2.2 AA:\n{lines}")
