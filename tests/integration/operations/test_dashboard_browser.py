"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by selenium).

The gateway runs on a PostgreSQL database of its own, on loopback without a
credentials file (the browser is the local admin).  The page must load with
no console error, show the order book the database holds, and -- without a
reload -- show it again after an order changed state.  A screenshot is saved
under the test's temporary directory (its path printed).

Without Chromium the test fails, saying how to install it; with
``ORDERGATE_TEST_NO_BROWSER=1`` it is skipped instead.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web

from adapters.sql import migrate
from core.domain.model import Caller, Kind, Role
from core.domain.states import State
from core.usecases import OrderManagement
from ordergate.bootstrap import GATEWAY, build_app
from ordergate.settings import GatewaySettings
from tests.builders import item
from tests.conftest import create_database, drop_database
from tests.integration.rest.gateway import free_socket

pytestmark = pytest.mark.postgres

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
NO_BROWSER = "ORDERGATE_TEST_NO_BROWSER"
WAIT_SECONDS = 30.0
ALICE = Caller("alice")
NOC = Caller("noc", frozenset({Role.FULFILLER}))


def _browser_missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[test]')"
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        return (
            f"{' and '.join(missing)} not found: install Debian's browser and its driver with "
            "`apt-get install -y chromium chromium-driver` (.ci/run does)"
        )
    return None


def require_browser() -> None:
    """Fail, saying how to install what is missing, or skip with ORDERGATE_TEST_NO_BROWSER=1."""
    if (why := _browser_missing()) is not None:
        if os.environ.get(NO_BROWSER) == "1":
            pytest.skip(f"{NO_BROWSER}=1: {why}")
        pytest.fail(f"the dashboard is tested in a real Chromium, and {why} (or set {NO_BROWSER}=1)")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium with its console log kept."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,1900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def database_url() -> Iterator[str]:
    """A database of its own: the page must show exactly what it holds."""
    url = create_database("dash")
    migrate(url)
    yield url
    drop_database(url)


@pytest.fixture
async def gateway(database_url: str) -> AsyncIterator[tuple[str, web.Application]]:
    sock = free_socket()
    settings = GatewaySettings(database_url=database_url, port=sock.getsockname()[1])
    app = build_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        await runner.cleanup()
        sock.close()


async def book_in_database(app: web.Application) -> dict[tuple[str, str], int]:
    async with app[GATEWAY].store.engine.connect() as conn:
        rows = await conn.execute(sa.text("SELECT kind, state, count(*) FROM orders GROUP BY kind, state"))
        return {(k, s): int(n) for k, s, n in rows}


def book_on_page(driver: Any) -> dict[tuple[str, str], int]:
    cells = driver.execute_script(
        "return [...document.querySelectorAll('td[data-field^=\"book.counts.\"]')]"
        ".map(td => [td.dataset.field, td.textContent]);"
    )
    out = {}
    for path, text in cells:
        _book, _counts, kind, state = path.split(".")
        if kind != "all" and text not in ("0", "\u2014"):
            out[(kind, state)] = int(text)
    return out


async def until(check: Callable[[], Any], what: str) -> Any:
    """Poll a (blocking) check off the event loop until it is truthy; its last value otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while True:
        value = await asyncio.to_thread(check)
        if value or loop.time() > deadline:
            assert value, f"after {WAIT_SECONDS:.0f} s: {what}"
            return value
        await asyncio.sleep(0.25)


async def test_the_dashboard_shows_the_book_and_follows_it_without_a_reload(browser, gateway, tmp_path):
    url, app = gateway
    om: OrderManagement = app[GATEWAY].orders
    ids = [(await om.create_order(ALICE, Kind.SERVICE, {"items": [item("1")]})).id for _ in range(3)]
    for order_id in ids[:2]:
        await om.start_order(ALICE, None, order_id)
    late = {"items": [item("1", "olt-port")], "requestedCompletionDate": "2020-01-01T00:00:00Z"}
    overdue = (await om.create_order(ALICE, Kind.RESOURCE, late)).id
    await om.create_order(ALICE, Kind.WORK, {"items": [item("1", "survey")]})

    await asyncio.to_thread(browser.get, f"{url}/dashboard?refresh=1")
    await until(
        lambda: browser.execute_script("return document.documentElement.dataset.updates"), "no update"
    )
    expected = await book_in_database(app)
    assert expected[("serviceOrder", "inProgress")] == 2
    assert await asyncio.to_thread(book_on_page, browser) == expected
    links = await asyncio.to_thread(
        browser.execute_script,
        "return [...document.querySelectorAll('#jeopardy-rows a')].map(a => a.getAttribute('href'));",
    )
    assert links == [f"/tmf-api/resourceOrdering/v4/resourceOrder/{overdue}"]
    await asyncio.to_thread(browser.execute_script, "window.sameDocument = true;")

    await om.change_order_item_state(NOC, None, ids[0], "1", State.COMPLETED)
    changed = await book_in_database(app)
    assert changed[("serviceOrder", "completed")] == 1
    await until(lambda: book_on_page(browser) == changed, f"the page never showed {changed}")
    assert await asyncio.to_thread(browser.execute_script, "return window.sameDocument === true;"), "reloaded"
    completed = await asyncio.to_thread(
        browser.execute_script,
        "return document.querySelector('[data-field=\"activity.completedTotal\"]').textContent;",
    )
    assert completed == "1"

    shot = tmp_path / "dashboard.png"
    assert await asyncio.to_thread(browser.save_screenshot, str(shot))
    print(f"dashboard screenshot: {shot}")
    errors = [e for e in await asyncio.to_thread(browser.get_log, "browser") if e["level"] == "SEVERE"]
    assert errors == [], errors


def test_without_chromium_the_test_fails_saying_how_to_install_it_unless_told_to_skip(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv(NO_BROWSER, raising=False)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        require_browser()
    monkeypatch.setenv(NO_BROWSER, "1")
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium not found"):
        require_browser()
