"""Cancel task state, read from the order's history as the core wrote it, in each kind's words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.rest.cancel import tmf_state
from adapters.rest.vocabulary import KINDS
from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.domain import lifecycle
from core.domain.cancel_tasks import CancelTask, split_task_id, task_id, tasks, touched
from core.domain.errors import ObjectNotFound
from core.domain.model import Caller, EntityRef, ItemAction, Kind, Order, OrderItem, Role, SpecificationRef
from core.domain.states import State

CLIENT = Caller("acme")
NOC = Caller("noc", frozenset({Role.FULFILLER}))
NOW = datetime(2030, 1, 1, tzinfo=UTC)
PRODUCT, SERVICE = KINDS[Kind.PRODUCT], KINDS[Kind.SERVICE]


def _order() -> Order:
    items = [OrderItem(i, ItemAction.ADD, EntityRef(specification=SpecificationRef("x"))) for i in ("1", "2")]
    return Order("o1", Kind.SERVICE, "acme", "ServiceOrder", items)


def _states(order: Order, tk=SERVICE) -> list[str]:
    return [tmf_state(tk, t.state) for t in tasks(order)]


def _run(order: Order, caller: Caller, operation: str, reason: str | None = None) -> None:
    lifecycle.run_order_operation(order, operation, caller, NOW, reason)


def test_a_cancel_before_start_is_done():
    order = _order()
    _run(order, CLIENT, "cancel", "duplicate")
    (task,) = tasks(order)
    assert task.state == "done"
    assert task.decided_at == NOW
    assert task.reason == task.decided_reason == "duplicate"


def test_a_cancel_under_way_is_received_then_in_progress_then_done():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, CLIENT, "cancel")
    assert _states(order, PRODUCT) == ["acknowledged"]
    assert _states(order) == ["accepted"]
    _run(order, NOC, "acceptCancellation")
    assert _states(order) == ["inProgress"]
    for item in ("1", "2"):
        lifecycle.change_item_state(order, item, State.CANCELLED, NOC, NOW)
    assert order.state is State.CANCELLED
    assert _states(order) == ["done"]


def test_a_denied_cancel_terminates_with_error_and_a_later_one_is_a_new_task():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, CLIENT, "cancel")
    _run(order, NOC, "denyCancellation", "too late")
    _run(order, CLIENT, "cancel")
    first, second = tasks(order)
    assert (first.state, first.decided_reason) == ("terminatedWithError", "too late")
    assert second.state == "acknowledged"
    assert first.position < second.position


def test_an_order_abandoned_by_the_fulfiller_has_one_done_task():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, NOC, "hold")
    _run(order, NOC, "abandon", "no permit")
    assert _states(order) == ["done"]


def test_task_ids_carry_the_order_id_and_position():
    assert split_task_id(task_id("ord~with~tildes", 7)) == ("ord~with~tildes", 7)
    for bad in ("nothing", "o1~", "~3", "o1~x"):
        with pytest.raises(ObjectNotFound):
            split_task_id(bad)


def _stored(order: Order) -> Order:
    """The order as a store gives it back: its history read, nothing added since."""
    return order_from_dict(order_to_dict(order))


def test_a_change_that_begins_or_moves_a_task_hands_the_store_the_tasks_and_no_other_does():
    order = _stored(_order())
    _run(order, CLIENT, "start")
    assert touched(order) == []  # no task yet: nothing to write
    order = _stored(order)
    _run(order, CLIENT, "cancel", "moved house")
    (received,) = touched(order)
    assert (received.state, received.reason) == ("acknowledged", "moved house")
    order = _stored(order)
    assert touched(order) == []  # read, not changed
    _run(order, NOC, "acceptCancellation")
    (moving,) = touched(order)
    assert moving == CancelTask(**{**_fields(received), "state": "inProgress"})


def _fields(task: CancelTask) -> dict[str, object]:
    return {name: getattr(task, name) for name in CancelTask.__slots__}
