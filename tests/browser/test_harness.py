"""The browser tests' own checks can fail: the request guard stops a call to another host, and axe names a serious violation (issue 15).

A test that cannot fail is a defect; these show that the front desk's browser tests would see
an outside font or an image with no text. The pages are served by a tiny http.server on
loopback, not by the app, so the harness is proved apart from what it tests.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.axe import assert_accessible, violations
from tests.browser.chromium import CHROMIUM
from tests.browser.guard import RequestGuard

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"Debian's chromium is not installed ({CHROMIUM}); scripts/bootstrap installs it",
)

HEAD = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
PAGES = {
    "plain.html": HEAD.format(title="Plain")
    + "</head><body><main><h1>Held copies</h1><p>One copy waits for its chair.</p></main></body></html>",
    "outside.html": HEAD.format(title="Outside")
    + '<link rel="stylesheet" href="https://fonts.example.com/govuk.css">'
    + "</head><body><main><h1>Outside</h1></main></body></html>",
    "socket.html": HEAD.format(title="Socket")
    + "</head><body><main><h1>Live</h1></main>"
    + '<script>new WebSocket("wss://live.example.com/feed")</script></body></html>',
    "no-alt.html": HEAD.format(title="No alt")
    + '</head><body><main><h1>Crest</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    + "</main></body></html>",
}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder: Path = tmp_path_factory.mktemp("pages")
    for name, text in PAGES.items():
        (folder / name).write_text(text, encoding="utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _visit(browser: Browser, site: str, name: str) -> tuple[RequestGuard, list[str]]:
    context = browser.new_context(bypass_csp=True, service_workers="block")
    guard = RequestGuard(site)
    guard.watch(context)
    try:
        page = context.new_page()
        page.goto(f"{site}/{name}")
        found = [v["id"] for v in violations(page) if v["impact"] in ("serious", "critical")]
    finally:
        context.close()
    return guard, found


def test_a_plain_local_page_passes_both(browser: Browser, site: str) -> None:
    guard, found = _visit(browser, site, "plain.html")
    assert guard.problems() is None
    assert guard.seen == [f"{site}/plain.html"]
    assert found == []


def test_a_stylesheet_from_another_host_is_stopped_and_named(browser: Browser, site: str) -> None:
    guard, _ = _visit(browser, site, "outside.html")
    assert set(guard.foreign) == {"https://fonts.example.com/govuk.css"}
    assert "https://fonts.example.com/govuk.css" in (guard.problems() or "")


def test_a_websocket_to_another_host_is_stopped_and_named(browser: Browser, site: str) -> None:
    context = browser.new_context(service_workers="block")
    guard = RequestGuard(site)
    guard.watch(context)
    try:
        page = context.new_page()
        page.goto(f"{site}/socket.html")
        # The guard hears of the socket a moment after the page opens it.
        for _ in range(100):
            if guard.foreign:
                break
            page.wait_for_timeout(50)
    finally:
        context.close()
    assert guard.foreign == ["wss://live.example.com/feed"]


def test_a_websocket_to_the_server_is_the_server() -> None:
    guard = RequestGuard("http://127.0.0.1:8123")
    assert guard.allows("ws://127.0.0.1:8123/live")
    assert not guard.allows("wss://127.0.0.1:8123/live")  # TLS to a plain server: not it
    assert not guard.allows("ws://127.0.0.1:8124/live")


def test_an_image_with_no_text_fails_axe_by_name(browser: Browser, site: str) -> None:
    context = browser.new_context(bypass_csp=True)
    try:
        page = context.new_page()
        page.goto(f"{site}/no-alt.html")
        with pytest.raises(AssertionError, match=r"image-alt \(critical\)"):
            assert_accessible(page, "crest")
    finally:
        context.close()


def test_the_browser_is_debians_chromium(browser: Browser) -> None:
    """Issue 15: the browser from the system packages, nothing downloaded by a test tool."""
    said = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"Chromium {browser.version} " in said
