"""The front desk in a real browser: a chair releases a held copy, an administrator reads the quarantine and the audit log (issue 15).

Debian's Chromium (tests/browser/chromium.py) against `cpc serve` on a real store
(tests/browser/desk.py). Every page visited passes axe-core's WCAG 2.2 AA rules with no serious or
critical violation, and no page asks any host but the server (the `open_page` fixture). What is
checked is what the person sees: the held copy listed by its recipient's name, the word
"Released" in that copy's row, the file's name and what is wrong with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.axe import assert_accessible
from tests.browser.chromium import CHROMIUM
from tests.browser.conftest import OpenPage
from tests.browser.desk import Account, FrontDesk

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}); scripts/bootstrap installs it",
)

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
WHY = "Recommendation added at the review; the police need the current letter."
# The plan's copies table, by the columns the issue gives it.
PLAN_COLUMNS = ("Recipient", "Document", "View", "Channel", "Due", "Status")


def _at(path: str) -> Callable[[str], bool]:
    """A URL whose path is `path`, read as a person reads it: a copy's key may come %2F-escaped,
    a trailing slash or a query string either way."""
    return lambda url: unquote(urlsplit(url).path).rstrip("/") == path.rstrip("/")


def sign_in(page: Page, account: Account) -> None:
    page.goto("/login")
    assert_accessible(page, "sign-in")
    page.locator("[name=email]").fill(account.email)
    page.locator("[name=password]").fill(account.password)
    form = page.locator("form").filter(has=page.locator("[name=password]"))
    # The form's submit button, whatever its words: GOV.UK's password field adds a "Show"
    # button of its own (type=button), which is not the one a person signs in with.
    form.locator("button:not([type=button]), input[type=submit]").click()
    page.wait_for_url(_at("/"))
    assert_accessible(page, "dashboard")


def held_links(page: Page) -> Locator:
    """The links under the dashboard's "held" heading, up to the next heading of its rank."""
    return page.locator(
        "xpath=//h2[@id='held']/following::a[contains(@href, '/copies/')]"
        "[preceding::h2[1][@id='held']]"
    )


def the_link_to(links: Locator, path: str) -> Locator:
    """The one link among `links` to `path` (the copy's key may be written %2F-escaped)."""
    found = [
        links.nth(i)
        for i in range(links.count())
        if unquote(urlsplit(links.nth(i).get_attribute("href") or "").path) == path
    ]
    assert len(found) == 1, f"{len(found)} links to {path} among the held copies"
    return found[0]


def plan_table(page: Page) -> Locator:
    table = page.locator("table")
    for column in PLAN_COLUMNS:
        header = page.locator("th", has_text=re.compile(rf"^\s*{column}\s*$"))
        table = table.filter(has=header)
    return table.first


def cell(table: Locator, row: Locator, column: str) -> Locator:
    """The row's cell under the column headed `column`."""
    headers = [text.strip() for text in table.locator("thead th").all_inner_texts()]
    assert column in headers, f"no column {column!r} among {headers}"
    return row.locator("td, th").nth(headers.index(column))


def test_a_chair_releases_a_held_copy_and_the_conference_page_says_released(
    front_desk: FrontDesk, open_page: OpenPage
) -> None:
    desk = front_desk.data
    page = open_page()
    sign_in(page, desk.chair)
    expect(page.locator("h2#held")).to_be_visible()
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))  # the first screenful: the counts, then the most urgent

    copy_path = f"/conferences/{desk.conference}/copies/{desk.held_copy}"
    link = the_link_to(held_links(page), copy_path)
    # Names, not ids: the held copy is listed by its recipient as a person knows them.
    item = link.locator("xpath=ancestor-or-self::*[self::li or self::tr][1]")
    expect(item).to_contain_text(desk.held_recipient)
    expect(item).not_to_contain_text(desk.held_copy.split("/")[0])

    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(_at(copy_path))
    assert_accessible(page, "copy")
    release = page.get_by_role("button", name="Release", exact=True)
    form = release.locator("xpath=ancestor::form[1]")
    form.locator("[name=why]").fill(WHY)
    release.click()

    page.wait_for_url(_at(f"/conferences/{desk.conference}"))
    assert_accessible(page, "conference")
    # The copy's row in the plan: the one that leads to the copy just released.
    row = plan_table(page).locator("tr").filter(has=page.locator(f'a[href="{href}"]'))
    expect(row).to_have_count(1)
    expect(row).to_contain_text(desk.held_recipient)
    expect(row).to_contain_text("Released")

    # The audit log names the chair who released it, signed in on the web.
    admin = open_page()
    sign_in(admin, desk.administrator)
    admin.goto("/audit")
    assert_accessible(admin, "audit")
    # Her release, with the reason she typed: not only her sign-in, which names her too.
    line = admin.locator("tr").filter(has_text=desk.chair.email).filter(has_text=WHY)
    expect(line).to_have_count(1)
    expect(line).to_contain_text(re.compile(r"releas", re.IGNORECASE))


def test_an_administrator_sees_the_quarantined_file_and_why(
    front_desk: FrontDesk, open_page: OpenPage
) -> None:
    desk = front_desk.data
    page = open_page()
    sign_in(page, desk.administrator)
    page.goto("/quarantine")
    assert_accessible(page, "quarantine")
    table = page.locator("table").filter(has=page.locator("th", has_text="File"))
    row = table.locator("tbody tr").filter(has_text=desk.quarantined)
    expect(row).to_have_count(1)
    # The name under "File" (the reason names the file too, which alone would not do), and
    # under "Reason" what is wrong: the file was cut off part-way (tests/browser/desk.py).
    expect(cell(table, row, "File")).to_contain_text(desk.quarantined)
    expect(cell(table, row, "Reason")).to_contain_text("not valid JSON")
