"""Bulk forms, per-client isolation, feasibility, history and redelivered requests."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.errors import IllegalArgument, ObjectNotFound, OrderError
from core.domain.model import Kind
from core.domain.query import Criterion, Op, OrderQuery
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.idempotency import REQUEST_KEY
from tests.builders import ALICE, BOB, NOC, item, order_count, order_value, outbox, stored

BAD = {"items": "not a list"}


async def test_atomic_bulk_create_with_one_bad_order_stores_nothing(any_store):
    om = OrderManagement(any_store)
    with pytest.raises(OrderError, match=r"order \[1\]") as caught:
        await om.create_orders(ALICE, Kind.SERVICE, [order_value("i1"), BAD, order_value("i1")])
    assert caught.value.kind == "illegalAttributeValue"
    with pytest.raises(OrderError, match=r"order \[1\]") as caught:
        await om.create_orders(
            ALICE, Kind.SERVICE, [order_value("i1", id="S-1"), order_value("i1", id="S-1")]
        )
    assert caught.value.kind == "duplicateKey"
    with pytest.raises(IllegalArgument):
        await om.create_orders(ALICE, Kind.SERVICE, [])
    assert await order_count(any_store) == 0
    assert await outbox(any_store) == []
    created = await om.create_orders(ALICE, Kind.SERVICE, [order_value("i1", id="S-2"), order_value("i2")])
    assert [o.state for o in created] == [State.ACKNOWLEDGED] * 2
    assert await order_count(any_store) == 2
    # an id already stored is found by some stores only at commit: the error still names the order
    with pytest.raises(OrderError, match=r"order \[1\]: an order with id .*exists") as caught:
        await om.create_orders(ALICE, Kind.SERVICE, [order_value("i1"), order_value("i1", id="S-2")])
    assert caught.value.kind == "duplicateKey"
    assert await order_count(any_store) == 2


async def test_best_effort_bulk_gives_one_outcome_per_input_in_input_order(any_store):
    om = OrderManagement(any_store)
    values = [order_value("i1", id="W-1"), BAD, order_value("i1", id="W-1"), order_value("i1", id="W-2")]
    outcomes = await om.try_create_orders(ALICE, Kind.WORK, values)
    assert [o.index for o in outcomes] == [0, 1, 2, 3]
    assert [o.error.kind if o.error else o.order.id for o in outcomes] == [  # type: ignore[union-attr]
        "alice~W-1",
        "illegalAttributeValue",
        "duplicateKey",
        "alice~W-2",
    ]
    assert await order_count(any_store) == 2

    started = await om.try_for_each(["W-2", "nope", "W-1", "W-2"], lambda k: om.start_order(ALICE, None, k))
    assert [(o.key, o.error.kind if o.error else o.order.state.value) for o in started] == [  # type: ignore[union-attr]
        ("W-2", "inProgress"),
        ("nope", "objectNotFound"),
        ("W-1", "inProgress"),
        ("W-2", "inProgress"),  # already there: a no-op, not an error
    ]
    removed = await om.try_for_each(["W-1", "W-2"], lambda k: om.remove_order(ALICE, None, k))
    assert [o.error.kind if o.error else "ok" for o in removed] == ["illegalState", "illegalState"]


async def test_another_clients_order_is_invisible(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.PRODUCT, order_value("i1"))
    before = await stored(any_store, order.id)
    attempts = {
        "get": lambda: om.get_order(BOB, Kind.PRODUCT, order.id),
        "get several": lambda: om.get_orders(BOB, None, [order.id]),
        "modify": lambda: om.set_order(BOB, None, order.id, {"description": "mine now"}),
        "start": lambda: om.start_order(BOB, None, order.id),
        "cancel": lambda: om.abort_order(BOB, None, order.id),
        "remove": lambda: om.remove_order(BOB, None, order.id),
        "history": lambda: om.get_order_history(BOB, None, order.id),
        "by target state": lambda: om.change_order_state(BOB, None, order.id, State.IN_PROGRESS),
    }
    for name, attempt in attempts.items():
        with pytest.raises(ObjectNotFound):
            await attempt()
        assert await stored(any_store, order.id) == before, name
    assert (await om.query_orders(BOB, OrderQuery())).total == 0
    assert (
        await om.query_orders(BOB, OrderQuery(criteria=(Criterion("id", Op.EQ, (order.id,)),)))
    ).orders == []
    assert (await om.query_orders(ALICE, OrderQuery())).total == 1
    assert (await om.query_orders(NOC, OrderQuery())).total == 1  # a fulfiller works on every order
    with pytest.raises(ObjectNotFound):  # the right id under the wrong kind is no order either
        await om.get_order(ALICE, Kind.SERVICE, order.id)
    assert len(await outbox(any_store, order.id)) == 1


async def test_feasibility_check_reports_per_item_and_stores_nothing(any_store):
    om = OrderManagement(any_store)
    value = {
        "orderType": "ExpressServiceOrder",
        "requestedStartDate": "2026-06-02T00:00:00Z",
        "requestedCompletionDate": "2026-06-01T00:00:00Z",
        "items": [
            item("ok"),
            {"id": "nospec", "action": "add", "entity": {}},
            item("mod", action="modify"),
            item("dangling", relationships=[{"type": "dependsOn", "itemId": "ghost"}]),
            item("a", relationships=[{"type": "dependsOn", "itemId": "b"}]),
            item("b", relationships=[{"type": "dependsOn", "itemId": "a"}]),
        ],
    }
    report = om.check_feasibility(ALICE, Kind.SERVICE, value)
    assert not report.feasible
    assert any("ExpressServiceOrder" in r for r in report.reasons)
    assert any("requestedStartDate" in r for r in report.reasons)
    why = {i.item_id: (i.feasible, " ".join(i.reasons)) for i in report.items}
    assert why["ok"] == (True, "")
    assert {k for k, (ok, _) in why.items() if not ok} == {"nospec", "mod", "dangling", "a", "b"}
    for item_id, words in {
        "nospec": "specification",
        "mod": "existing service",
        "dangling": "ghost",
        "a": "cycle",
        "b": "cycle",
    }.items():
        assert words in why[item_id][1], why[item_id]
    assert om.check_feasibility(ALICE, Kind.SERVICE, order_value("i1", "i2")).feasible
    with pytest.raises(OrderError):  # malformed is an error, not a report
        om.check_feasibility(ALICE, Kind.SERVICE, BAD)
    assert await order_count(any_store) == 0
    assert await outbox(any_store) == []


async def test_an_infeasible_order_is_stored_rejected_with_its_reasons(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.RESOURCE, {"items": [{"id": "r1", "action": "add"}]})
    doc = await stored(any_store, order.id)
    assert doc is not None
    assert doc["state"] == "rejected"
    assert "r1" in doc["stateReason"]
    assert "specification" in doc["stateReason"]
    assert [i["state"] for i in doc["items"]] == ["rejected"]
    assert [e.type.value for e in await outbox(any_store, order.id)] == ["OrderCreate"]


async def test_history_lists_every_state_change_with_time_actor_and_reason(any_store):
    ticks = iter(datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=m) for m in range(1000))
    om = OrderManagement(any_store, clock=lambda: next(ticks))
    order = await om.create_order(ALICE, Kind.SERVICE, order_value("i1", "i2"))
    await om.start_order(ALICE, None, order.id)
    await om.run_operation(NOC, None, order.id, "hold", "waiting for a permit")
    await om.run_operation(NOC, None, order.id, "release", "permit granted")
    await om.change_order_item_state(NOC, None, order.id, "i1", State.COMPLETED, "installed")
    await om.change_order_item_state(NOC, None, order.id, "i2", State.FAILED, "no line")
    history = await om.get_order_history(ALICE, None, order.id)
    got = [
        (h.item_id, h.from_state and h.from_state.value, h.to_state.value, h.actor, h.reason) for h in history
    ]
    assert got == [
        (None, None, "acknowledged", "alice", None),
        ("i1", "acknowledged", "inProgress", "alice", None),
        ("i2", "acknowledged", "inProgress", "alice", None),
        (None, "acknowledged", "inProgress", "alice", None),
        ("i1", "inProgress", "held", "noc", "waiting for a permit"),
        ("i2", "inProgress", "held", "noc", "waiting for a permit"),
        (None, "inProgress", "held", "noc", "waiting for a permit"),
        ("i1", "held", "inProgress", "noc", "permit granted"),
        ("i2", "held", "inProgress", "noc", "permit granted"),
        (None, "held", "inProgress", "noc", "permit granted"),
        ("i1", "inProgress", "completed", "noc", "installed"),
        ("i2", "inProgress", "failed", "noc", "no line"),
        (None, "inProgress", "partial", "noc", "no line"),
    ]
    times = [h.at for h in history]
    assert times == sorted(times)
    assert len(set(times)) == 6  # one moment per operation, shared by what it moved


async def test_a_redelivered_request_returns_the_first_result_without_running_again(any_store):
    om = OrderManagement(any_store)
    token = REQUEST_KEY.set("sender-1:message-1")
    try:
        first = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
        again = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
    finally:
        REQUEST_KEY.reset(token)
    assert again.id == first.id
    assert await order_count(any_store) == 1

    token = REQUEST_KEY.set("sender-1:message-2")
    try:
        changed = await om.set_order(ALICE, None, first.id, {"notes": [{"text": "call first"}]})
        replayed = await om.set_order(ALICE, None, first.id, {"notes": [{"text": "call first"}]})
    finally:
        REQUEST_KEY.reset(token)
    assert replayed.version == changed.version == 2
    token = REQUEST_KEY.set("sender-1:message-3")
    try:
        bulk = await om.try_create_orders(ALICE, Kind.SERVICE, [order_value("i1"), BAD])
        bulk_again = await om.try_create_orders(ALICE, Kind.SERVICE, [order_value("i1"), BAD])
    finally:
        REQUEST_KEY.reset(token)
    assert bulk_again[0].order.id == bulk[0].order.id  # type: ignore[union-attr]
    assert bulk_again[1].error is not None
    assert await order_count(any_store) == 2
    doc = await stored(any_store, first.id)
    assert doc is not None
    assert doc["version"] == 2
    assert len(await outbox(any_store)) == 3  # two creates, one change: nothing ran twice
    # without a key the same change is a second request: it runs (and changes nothing new)
    assert (await om.set_order(ALICE, None, first.id, {"notes": [{"text": "call first"}]})).version == 2


async def test_a_create_delivered_again_while_its_first_delivery_runs_is_executed_once(any_store):
    """Creates do not look up the request log first: the key decides at commit."""
    om = OrderManagement(any_store)
    token = REQUEST_KEY.set("sender-1:race-1")
    try:
        racing = await asyncio.gather(
            *(om.create_order(ALICE, Kind.SERVICE, order_value("i1")) for _ in range(4))
        )
    finally:
        REQUEST_KEY.reset(token)
    assert len({o.id for o in racing}) == 1
    token = REQUEST_KEY.set("sender-1:race-2")  # the client chose the id: the id clashes as well
    try:
        chosen = [await om.create_order(ALICE, Kind.SERVICE, order_value("i1", id="S-7")) for _ in range(2)]
    finally:
        REQUEST_KEY.reset(token)
    assert [o.id for o in chosen] == ["alice~S-7", "alice~S-7"]
    token = REQUEST_KEY.set("sender-1:race-3")
    try:
        both = [
            await om.create_orders(ALICE, Kind.SERVICE, [order_value("i1"), order_value("i2")])
            for _ in range(2)
        ]
    finally:
        REQUEST_KEY.reset(token)
    assert [o.id for o in both[0]] == [o.id for o in both[1]]
    assert await order_count(any_store) == 4
    assert len(await outbox(any_store)) == 4
    # another request taking a stored id is still refused
    token = REQUEST_KEY.set("sender-1:race-4")
    try:
        with pytest.raises(OrderError) as caught:
            await om.create_order(ALICE, Kind.SERVICE, order_value("i1", id="S-7"))
    finally:
        REQUEST_KEY.reset(token)
    assert caught.value.kind == "duplicateKey"
    assert await order_count(any_store) == 4
