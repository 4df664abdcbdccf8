"""The dashboard over fake sources: its figures, its page without JavaScript, who may see it."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from lxml import html

from adapters.identity import Credentials, hash_key
from adapters.memory import MemoryOrderStore
from adapters.operations.book import BookFigures
from adapters.operations.dashboard import DashboardSources, build_view, setup_dashboard
from adapters.operations.dashboard_page import duration, render_page
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.reporting import ReportProvisioning
from tests.builders import ADMIN, NOC, item

NOW = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)


@dataclass
class Late:
    id: str
    kind: Kind
    state: str
    client_id: str
    due: datetime


class Figures:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    async def hourly_activity(self, since: datetime) -> Any:
        if self.fail:
            raise ConnectionError("database gone")
        return {NOW.replace(minute=0): 3, NOW.replace(minute=0) - timedelta(hours=2): 1}, {
            NOW.replace(minute=0): 2
        }

    async def lead_time_buckets(self, start: datetime, end: datetime, bounds: Any) -> Any:
        if self.fail:
            raise ConnectionError("database gone")
        return {k: [1, 0, 0, 0, 0, 0] if k is Kind.SERVICE else [0] * 6 for k in Kind}

    async def overdue(self, now: datetime, limit: int) -> Any:
        if self.fail:
            raise ConnectionError("database gone")
        return [
            Late("o-<1>", Kind.SERVICE, "inProgress", "<script>alert(1)</script>", NOW - timedelta(hours=3))
        ]


async def sources(fail: bool = False) -> DashboardSources:
    store = MemoryOrderStore()
    om = OrderManagement(store, clock=lambda: NOW - timedelta(minutes=30))
    order = await om.create_order(ADMIN, Kind.SERVICE, {"items": [item("1")]})
    await om.start_order(ADMIN, None, order.id)
    om_later = OrderManagement(store, clock=lambda: NOW)
    await om_later.change_order_item_state(NOC, None, order.id, "1", State.COMPLETED)
    book = BookFigures(
        orders=[
            ("serviceOrder", "inProgress", 4),
            ("serviceOrder", "completed", 1),
            ("workOrder", "held", 2),
        ],
        jeopardy=[("serviceOrder", 1)],
        outbox_depth=3,
        outbox_oldest_seconds=90.0,
        hub_pending=1,
    )

    async def read_book() -> BookFigures | None:
        if fail:
            raise ConnectionError("database gone")
        return book

    async def probe() -> dict[str, str | None]:
        return (
            {"database": "connection refused"} if fail else {"database": None, "schema": None, "broker": None}
        )

    return DashboardSources(
        figures=Figures(fail),
        report=ReportProvisioning(store, lambda: NOW),
        book=read_book,
        probe=probe,
        href=lambda kind, order_id: f"/tmf-api/x/{kind.value}/{order_id}",
        amqp=True,
        clock=lambda: NOW,
    )


async def test_the_view_holds_every_figure_of_the_page():
    view = await build_view(await sources(), ADMIN, 5)
    book = view["book"]
    assert book["counts"]["serviceOrder"]["inProgress"] == 4
    assert (book["counts"]["all"]["held"], book["open"]["serviceOrder"], book["totals"]["all"]) == (2, 4, 7)
    activity = view["activity"]
    assert (len(activity["hours"]), activity["hours"][-1]) == (24, "2026-07-01T10:00:00Z")
    assert (activity["created"][-1], activity["created"][-3], activity["completedTotal"]) == (3, 1, 2)
    service = view["leadTimes"]["kinds"]["serviceOrder"]
    assert (service["completed"], service["median"], service["histogram"][0]) == (1, 1800.0, 1)
    assert view["jeopardy"]["total"] == 1
    (late,) = view["jeopardy"]["orders"]
    assert (late["overdueSeconds"], late["href"]) == (10800.0, "/tmf-api/x/serviceOrder/o-<1>")
    health = view["health"]
    assert {k: v["status"] for k, v in health.items()} == {
        "database": "ok",
        "schema": "ok",
        "amqp": "ok",
        "outbox": "warn",  # its oldest event waits more than a minute
        "hub": "ok",
    }
    assert health["outbox"]["detail"] == "3 events owed, the oldest waiting 1.5 min"


async def test_the_page_shows_the_figures_without_javascript_and_escapes_what_clients_wrote():
    view = await build_view(await sources(), ADMIN, 5)
    page = render_page(view, static="/dashboard/static", data_url="/dashboard/data")
    assert "<script>alert" not in page
    doc = html.fromstring(page)
    cell = doc.xpath('//td[@data-field="book.counts.serviceOrder.inProgress"]')[0]
    assert cell.text_content() == "4"
    assert (
        doc.xpath('//td[@data-field="leadTimes.kinds.serviceOrder.median"]')[0].text_content() == "30.0 min"
    )
    (link,) = doc.xpath('//tbody[@id="jeopardy-rows"]//a')
    assert (link.get("href"), link.text_content()) == ("/tmf-api/x/serviceOrder/o-<1>", "o-<1>")
    assert doc.xpath('//tbody[@id="jeopardy-rows"]/tr/td[4]')[0].text_content() == "<script>alert(1)</script>"
    bars = doc.xpath('//rect[@data-series="created"]')
    assert len(bars) == 24
    assert float(bars[-1].get("height")) > float(bars[-3].get("height")) > 0
    assert doc.xpath('//meta[@http-equiv="refresh"]'), "without JavaScript the page reloads itself"
    assert [s.get("src") for s in doc.xpath("//script")] == [
        "/dashboard/static/dashboard.js"
    ]  # nothing inline


async def test_what_cannot_be_read_shows_as_a_dash_and_the_health_says_why():
    view = await build_view(await sources(fail=True), ADMIN, 5)
    assert view["book"]["counts"] is None
    assert view["activity"]["created"] is None
    assert view["jeopardy"] == {"total": None, "orders": None}
    assert view["health"]["database"] == {"status": "fail", "detail": "connection refused"}
    page = html.fromstring(render_page(view, static="/s", data_url="/d"))
    assert page.xpath('//td[@data-field="book.counts.serviceOrder.inProgress"]')[0].text_content() == "\u2014"


def test_durations_read_as_the_script_writes_them():
    assert [duration(s) for s in (None, 0.25, 59.9, 90, 7200, 3 * 86400)] == [
        "\u2014",
        "0.2 s",
        "59.9 s",
        "1.5 min",
        "2.0 h",
        "3.0 d",
    ]


KEYS = {"admin": "admin-key", "alice": "alice-key"}


@pytest.fixture
async def client(aiohttp_client: Any, tmp_path: Path) -> Any:
    path = tmp_path / "credentials.json"
    clients = [
        {"clientId": "ops", "roles": ["admin"], "keySha256": hash_key(KEYS["admin"])},
        {"clientId": "alice", "roles": ["client"], "keySha256": hash_key(KEYS["alice"])},
    ]
    path.write_text(json.dumps({"clients": clients}))
    app = web.Application()
    setup_dashboard(app, await sources(), Credentials.load(path))
    return await aiohttp_client(app)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"anyone:{key}".encode()).decode()}


async def test_only_admins_see_it_with_a_bearer_key_or_basic_authentication(client):
    refused = await client.get("/dashboard")
    assert refused.status == 401
    assert refused.headers.getall("WWW-Authenticate")[0].startswith("Basic ")
    assert (await client.get("/dashboard", headers=basic(KEYS["alice"]))).status == 403
    assert (await client.get("/dashboard/data", headers={"Authorization": "Bearer alice-key"})).status == 403
    page = await client.get("/dashboard", headers=basic(KEYS["admin"]))
    assert page.status == 200
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    data = await client.get("/dashboard/data", headers={"Authorization": "Bearer admin-key"})
    assert (data.status, (await data.json())["refreshSeconds"]) == (200, 5)
    assert (await client.get("/dashboard?refresh=0", headers=basic(KEYS["admin"]))).status == 400
    script = await client.get("/dashboard/static/dashboard.js")
    assert script.status == 200
    assert "fetch(" in await script.text()
