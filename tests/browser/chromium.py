"""Debian's Chromium, headless, driven by Playwright: the real browser of the front desk's tests (issue 15).

The browser is the system package scripts/bootstrap installs, never one a test tool downloads.
Its flags are the ones this kind of machine is known to start Chromium with: without the
background-networking ones it reaches for Google's hosts at every start, which the closed network
refuses (and which the request guard would count against the page).
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def launch(playwright: Playwright) -> Browser:
    """A headless Chromium from /usr/bin/chromium. Its sandbox needs a user that is not root;
    as root (a CI container) it runs without one, as Chromium itself insists."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        headless=True,
        args=list(FLAGS),
        chromium_sandbox=os.geteuid() != 0,
    )
