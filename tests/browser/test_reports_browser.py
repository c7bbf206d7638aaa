"""The reports on the front desk in a real browser: the late report and each parent not yet given one, on the dashboard and the conference page (000 §4.7.7-4.7.9; R41, R42).

Its own desk: a store holding examples/v2-initial-reports.json (taken in from a copy), and its
chair's account. The school's report reached the chair on 10 December, a day after its deadline
of Wednesday 9 December (2 working days before Friday 11 December), so it is "received late" on
any day; the police report was shared with the mother and not the father, so his line says "not
yet shared" (due before 9 December, late after). Every page passes axe (tests/browser/axe.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.chromium import CHROMIUM
from tests.browser.conftest import OpenPage
from tests.browser.desk import DeskData, FrontDesk, _add_user, serving
from tests.browser.test_front_desk_browser import cell, sign_in
from tests.conftest import example
from tests.fake_renderer import FAKE
from tests.service_harness import Service

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}); scripts/bootstrap installs it",
)

CONFERENCE = "CPC-2026-0431"
CHAIR_EMAIL = "helen.marsh@northby.example.gov.uk"  # p-chair's address in the example
NOT_SHARED = re.compile(r"not yet shared \((due|late)\)")


@pytest.fixture(scope="module")
def front_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDesk]:
    """This module's desk (the `open_page` fixture opens its pages)."""
    root: Path = tmp_path_factory.mktemp("reports-desk")
    service = Service(root, renderer=FAKE)
    service.drop(example("v2-initial-reports"))
    chair = _add_user(service, CHAIR_EMAIL, "chair")
    data = DeskData(CONFERENCE, "", "", chair, chair, "")
    with serving(service) as url:
        yield FrontDesk(url, data)


def test_the_dashboard_counts_and_lists_the_late_report_and_the_fathers_police_report(
    front_desk: FrontDesk, open_page: OpenPage
) -> None:
    page = open_page()
    sign_in(page, front_desk.data.chair)  # axe on the dashboard, too
    late = page.locator("xpath=//h3[@id='reports-late']/following-sibling::*[1]")
    expect(late).to_contain_text("School report")
    expect(late).to_contain_text("received late")
    expect(late).to_contain_text("Anita Ross")
    not_shared = page.locator("xpath=//h3[@id='reports-not-shared']/following-sibling::*[1]")
    police = not_shared.locator("li").filter(has_text="Police report")
    # The father only: the mother's copy was shared on 8 December.
    expect(police).to_have_count(1)
    expect(police).to_contain_text("Mark Whitfield")
    expect(police).to_contain_text(NOT_SHARED)
    # r-sw is shared with both parents: no line of it.
    expect(not_shared.locator("li").filter(has_text="Social worker's report")).to_have_count(0)
    # The count: one report late; five readers not given one (the police report's father,
    # the health visitor's and the school's both parents).
    count = page.locator("a[href='#reports'] .desk-count")
    expect(count).to_have_text("6")


def test_the_conference_page_has_a_reports_table_with_each_parents_copy(
    front_desk: FrontDesk, open_page: OpenPage
) -> None:
    page = open_page()
    sign_in(page, front_desk.data.chair)
    page.goto(f"/conferences/{CONFERENCE}")
    assert_accessible(page, "conference with reports")
    table = page.locator("table").filter(has=page.locator("caption", has_text="Reports"))
    expect(table).to_have_count(1)
    headers = table.locator("thead th[scope=col]")
    expect(headers).to_have_text(
        ["Report", "Agency", "Author", "Due to the chair", "With the chair", "With the family"]
    )
    school = table.locator("tbody tr").filter(
        has=page.locator("th[scope=row]", has_text="School report")
    )
    expect(cell(table, school, "With the chair")).to_have_text("received late")
    expect(cell(table, school, "Due to the chair")).to_have_text("1 Dec 2026")
    police = table.locator("tbody tr").filter(
        has=page.locator("th[scope=row]", has_text="Police report")
    )
    family = cell(table, police, "With the family")
    expect(family.locator("li").filter(has_text="Sarah Whitfield")).to_contain_text(
        "shared on 30 November 2026"
    )
    expect(family.locator("li").filter(has_text="Mark Whitfield")).to_contain_text(NOT_SHARED)
