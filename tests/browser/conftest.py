"""Playwright on Debian's chromium against pytest-django's live server.

The browser is started once per session; each test gets a fresh context (cookies, storage).
Never ``playwright install``: the system chromium is used through ``executable_path``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_ROOT = Path(__file__).resolve().parents[2]
# Test runs write their screenshots under var/; `make screenshots` refreshes the README's.
SCREENSHOTS = (
    _ROOT / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else _ROOT / "var" / "test" / "screenshots"
)


@pytest.fixture(scope="package")
def browser(django_db_setup: None) -> Iterator[Any]:
    """Start chromium once for this package, after the test database exists.

    Package scope: Playwright's loop stops when the browser tests are done, so the other test
    packages (and their own browser tests) run without it.

    Playwright's sync API keeps an event loop running in the test thread; the ORM calls the
    tests make between browser steps stay synchronous, so Django's async guard is lifted for as
    long as the browser runs (the database is created before and destroyed after).
    """
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    patch = pytest.MonkeyPatch()
    patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=ARGS
            )
            yield chromium
            chromium.close()
    finally:
        patch.undo()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (1400 x 900); JavaScript errors fail the test."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and "favicon" not in msg.text and "status of 4" not in msg.text
            else None
        ),
    )
    yield page
    context.close()
    assert not errors, errors


def log_in(page: Any, base_url: str, username: str, password: str = "pw") -> None:  # noqa: S107
    """Log in through the login form."""
    page.goto(base_url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(base_url + "/")


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``check()`` holds (the page sends its requests in the background)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
