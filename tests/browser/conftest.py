"""The browser tests' fixtures: one front desk (store, accounts, `cpc serve`) per worker, Debian's Chromium, and pages whose every request is watched (issue 15)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser import chromium
from tests.browser.desk import FrontDesk, prepare, serving
from tests.browser.guard import RequestGuard

OpenPage = Callable[[], Page]  # a new page in a new browser context


@pytest.fixture(scope="session")
def front_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrontDesk]:
    service, data = prepare(tmp_path_factory.mktemp("front-desk"))
    with serving(service) as url:
        yield FrontDesk(url, data)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = chromium.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser: Browser, front_desk: FrontDesk) -> Iterator[OpenPage]:
    """`open_page()`: a page in a new browser context (its own cookies: one person signed in),
    every request watched; the test fails if any page asked a host other than the server."""
    contexts: list[BrowserContext] = []
    guards: list[RequestGuard] = []

    def opened() -> Page:
        context = browser.new_context(
            base_url=front_desk.url,
            bypass_csp=True,
            service_workers="block",
            viewport={"width": 1280, "height": 900},
        )
        guard = RequestGuard(front_desk.url)
        guard.watch(context)
        contexts.append(context)
        guards.append(guard)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()
    problems = [p for p in (g.problems() for g in guards) if p]
    if problems:
        pytest.fail("\n".join(problems))
