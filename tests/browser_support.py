"""Shared pieces of the browser tests: Debian's Chromium under Playwright, and the CSP pages must live under."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling hosts this closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The server sends settings.SIAGA_CSP itself; the route handler below re-applies it so a test also holds when a
# response comes from elsewhere (static files, a fixture server).
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'; manifest-src 'self'; worker-src 'self'"
)


@pytest.fixture
def browser():
    """A headless Debian Chromium (never a downloaded browser); skips, naming what is missing, elsewhere."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def with_strict_csp(route):
    """A Playwright route handler that serves our pages as they are, with the strict CSP added to HTML."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        # Redirects must reach the browser as redirects, or it would stay on the old address.
        response = route.fetch(max_redirects=0)
        headers = dict(response.headers)
        if headers.get("content-type", "").startswith("text/html"):
            headers["content-security-policy"] = STRICT_CSP
        route.fulfill(response=response, headers=headers)
    except PlaywrightError as exc:
        # A request the page abandoned (it navigated or closed meanwhile) has no one left to answer.
        if "disposed" not in str(exc) and "closed" not in str(exc):
            raise


def in_thread(fn):
    """Run database work off the Playwright thread (Django refuses sync ORM calls beside a running loop)."""
    import threading

    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the test
            box["error"] = exc
        finally:
            from django.db import connections

            connections.close_all()

    t = threading.Thread(target=run)
    t.start()
    t.join(30)
    if "error" in box:
        raise box["error"]
    return box.get("value")
