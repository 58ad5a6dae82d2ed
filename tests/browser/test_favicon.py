"""A first page load in Chromium asks for the icon and gets it: no 404 in the console."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_first_load_fetches_the_icon_and_nothing_fails(page: Any, live_server: Any) -> None:
    failed: list[str] = []
    icons: list[int] = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("response", lambda r: icons.append(r.status) if "favicon" in r.url else None)
    page.goto(live_server.url + "/accounts/login/")
    page.wait_for_load_state("networkidle")
    href = page.eval_on_selector("link[rel=icon]", "link => link.href")
    assert href.endswith("/static/favicon.svg")
    shown = page.evaluate(
        "async url => { const r = await fetch(url);"
        " return [r.status, r.headers.get('content-type')] }",
        live_server.url + "/favicon.ico",
    )
    assert shown[0] == 200 and shown[1].startswith("image/svg+xml")
    assert not failed, failed
    assert icons and all(status < 400 for status in icons)
