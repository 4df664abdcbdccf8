"""The provisioning report computed in SQL gives the core's reference figures, on SQLite and PostgreSQL.

A varied order book (every kind, nested items, product offerings, every
outcome, due dates from the client and from the fulfiller, several clients)
is made through the core; the store's rows must be the rows
``core.domain.report.report_rows`` computes over the same stored documents.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.document.render import iso, order_to_dict
from core.domain.model import Caller, Kind
from core.domain.query import OrderQuery
from core.domain.report import ReportScope, report_rows
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.reporting import ProvisioningReportRequest, ReportProvisioning, arrange
from tests.builders import ADMIN, NOC

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
SPECS = ("fibre", "router", "olt-port", "vlan")
CLIENTS = (Caller("alice"), Caller("bob"))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _item(rng: random.Random, item_id: str, kind: Kind, depth: int = 0) -> dict[str, Any]:
    action = rng.choice(["add", "add", "modify", "delete", "noChange"])
    entity: dict[str, Any] = {"id": f"e-{item_id}"} if action != "add" else {}
    if rng.random() < 0.8 or action == "add":
        entity["specification"] = {"id": rng.choice(SPECS)}
    out: dict[str, Any] = {"id": item_id, "action": action, "entity": entity}
    if kind is Kind.PRODUCT and rng.random() < 0.5:
        out["productOffering"] = {"id": rng.choice(["broadband", "tv"])}
        if action == "add" and rng.random() < 0.5:
            del entity["specification"]
    if depth == 0 and rng.random() < 0.2:
        out["items"] = [_item(rng, f"{item_id}.{n}", kind, 1) for n in range(1, rng.randint(1, 2) + 1)]
    return out


async def _fulfil(om: OrderManagement, clock: Clock, rng: random.Random, order_id: str) -> None:
    fate = rng.choice(["open", "started", "cancelled", "completed", "completed", "failed", "partial"])
    if fate == "open":
        return
    if fate == "cancelled":
        await om.abort_order(ADMIN, None, order_id)
        return
    order = await om.start_order(ADMIN, None, order_id)
    if rng.random() < 0.5:
        due = T0 + timedelta(hours=rng.choice([-5, 1, 50]))
        await om.set_order(NOC, None, order_id, {"expectedCompletionDate": iso(due)})
    if fate == "started":
        return
    clock.now += timedelta(milliseconds=rng.randint(1, 86_400_000))
    leaves = [i.id for i in order.all_items() if not i.items]  # an item holding items follows them
    for n, item_id in enumerate(leaves):
        state = State.FAILED if fate == "failed" or (fate == "partial" and n == 0) else State.COMPLETED
        await om.change_order_item_state(NOC, None, order_id, item_id, state)


async def _book(store: Any, clock: Clock, orders: int = 60) -> None:
    rng = random.Random(20260504)
    om = OrderManagement(store, clock=clock)
    for n in range(orders):
        clock.now = T0 + timedelta(hours=rng.randint(-30, 30), milliseconds=rng.randint(0, 999))
        kind = rng.choice(list(Kind))
        value: dict[str, Any] = {"items": [_item(rng, str(i), kind) for i in range(1, rng.randint(1, 3) + 1)]}
        if rng.random() < 0.5:
            value["requestedCompletionDate"] = iso(T0 + timedelta(hours=rng.choice([-20, 2, 40])))
        order = await om.create_order(rng.choice(CLIENTS), kind, value)
        assert order.state is State.ACKNOWLEDGED, (n, order.state_reason)
        await _fulfil(om, clock, rng, order.id)


async def _documents(store: Any) -> list[dict[str, Any]]:
    async with store() as uow:
        page = await uow.orders.query(OrderQuery(), None)
    return [order_to_dict(o) for o in page.orders]


SCOPES = {
    "every kind and client": ReportScope(tuple(Kind), T0 - timedelta(hours=24), T0 + timedelta(hours=24), T0),
    "one kind": ReportScope((Kind.RESOURCE,), T0 - timedelta(hours=30), T0 + timedelta(hours=31), T0),
    "one client, later": ReportScope(
        tuple(Kind), T0, T0 + timedelta(hours=31), T0 + timedelta(days=3), "alice"
    ),
}


@pytest.mark.parametrize("scope", list(SCOPES.values()), ids=list(SCOPES))
async def test_the_store_computes_the_reference_rows(sql_store, scope):
    await _book(sql_store, Clock())
    expected = report_rows(await _documents(sql_store), scope)
    computed = await sql_store.provisioning_figures(scope)
    assert sum(r.figures.ordered for r in expected) > 10, "the book should put orders in the window"
    assert len(computed) == len(expected)
    assert arrange(scope.kinds, computed) == arrange(scope.kinds, expected)


async def test_the_use_case_over_the_sql_store(sql_store):
    clock = Clock()
    await _book(sql_store, clock)
    start, end = T0 - timedelta(hours=24), T0 + timedelta(hours=24)
    report = await ReportProvisioning(sql_store, clock).execute(
        Caller("bob"), ProvisioningReportRequest(None, start, end)
    )
    bobs = report_rows(await _documents(sql_store), ReportScope(tuple(Kind), start, end, clock.now, "bob"))
    assert report.kinds == arrange(tuple(Kind), bobs)
    assert any(s.actions for k in report.kinds for s in k.specifications)
    assert any(k.figures.lead_time for k in report.kinds)
    assert any(k.figures.in_jeopardy for k in report.kinds)


async def test_orders_moved_to_the_archive_still_count(sql_store):
    from adapters.sql.archive import archive_closed

    await _book(sql_store, Clock())
    scope = SCOPES["every kind and client"]
    before = arrange(scope.kinds, await sql_store.provisioning_figures(scope))
    moved = await archive_closed(sql_store.engine, T0 + timedelta(days=30))
    assert moved.moved > 5, "the book should hold closed orders"
    assert arrange(scope.kinds, await sql_store.provisioning_figures(scope)) == before
