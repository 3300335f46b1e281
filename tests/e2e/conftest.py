"""Real-browser fixtures: Playwright's sync API driving Debian's chromium.

`playwright install` cannot work here, so the browser is the system package
(`apt-get install -y chromium`), launched through `executable_path`.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def allow_orm_next_to_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    # Playwright's sync API keeps an asyncio event loop running in the test thread,
    # so Django refuses ORM calls there (SynchronousOnlyOperation) although every
    # query is still made synchronously from that one thread. Lifting the guard is
    # safe for that; monkeypatch confines it to the tests that use `page`.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(allow_orm_next_to_playwright: None) -> Iterator[Page]:
    """A fresh page in a fresh headless chromium, closed again after the test.

    Function-scoped so Playwright's event loop is gone before pytest-django flushes
    the database at teardown.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; install it with `apt-get install -y chromium`.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="de-AT", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        yield context.new_page()
        context.close()
        browser.close()
