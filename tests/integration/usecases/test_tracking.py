"""Track and manage: milestones a fulfiller reports, one jeopardy alert per late order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.domain.errors import IllegalState, PermissionDenied
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.jeopardy import JeopardyWatch
from tests.builders import ALICE, NOC, order_value, outbox

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_fulfiller_reports_milestones_in_order_and_history(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.WORK, order_value("i1"))
    await om.start_order(ALICE, None, order.id)
    done = await om.add_milestone(NOC, None, order.id, {"name": "technicianOnSite", "status": "reached"})
    assert [(m.name, m.status) for m in done.milestones] == [("technicianOnSite", "reached")]
    assert done.history[-1].operation == "addMilestone"
    assert done.history[-1].actor == "noc"
    assert [e.type.value for e in await outbox(any_store, order.id)][-1] == "OrderMilestone"
    with pytest.raises(PermissionDenied):
        await om.add_milestone(ALICE, None, order.id, {"name": "x"})


async def test_a_closed_order_takes_no_milestone(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
    await om.abort_order(ALICE, None, order.id)
    with pytest.raises(IllegalState):
        await om.add_milestone(NOC, None, order.id, {"name": "late"})


async def test_one_alert_per_late_open_order(any_store):
    om = OrderManagement(any_store)
    late = await om.create_order(
        ALICE, Kind.SERVICE, order_value("i1", requestedCompletionDate=(NOW - timedelta(days=1)).isoformat())
    )
    expected_later = await om.create_order(
        ALICE, Kind.SERVICE, order_value("i1", requestedCompletionDate=(NOW - timedelta(days=1)).isoformat())
    )
    await om.start_order(ALICE, None, expected_later.id)
    future = (NOW + timedelta(days=3)).isoformat()
    await om.set_order(NOC, None, expected_later.id, {"expectedCompletionDate": future})
    on_time = await om.create_order(
        ALICE, Kind.RESOURCE, order_value("i1", requestedCompletionDate=(NOW + timedelta(days=1)).isoformat())
    )
    closed = await om.create_order(
        ALICE, Kind.PRODUCT, order_value("i1", requestedCompletionDate=(NOW - timedelta(days=9)).isoformat())
    )
    await om.abort_order(ALICE, None, closed.id)
    watch = JeopardyWatch(any_store, any_store, lambda: NOW, page=1)
    assert await watch.run_once() == 1
    assert await watch.run_once() == 0  # once per order
    alerted = await om.get_order(NOC, None, late.id)
    assert [a.name for a in alerted.jeopardy_alerts] == ["completionDateMissed"]
    assert alerted.state is State.ACKNOWLEDGED
    for other in (expected_later, on_time, closed):
        assert (await om.get_order(NOC, None, other.id)).jeopardy_alerts == []
    assert [e.type.value for e in await outbox(any_store, late.id)][-1] == "OrderJeopardy"
