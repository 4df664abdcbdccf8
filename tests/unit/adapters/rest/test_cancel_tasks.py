"""Cancel task state, read from the order's history as the core wrote it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.rest.cancel import cancel_positions, split_task_id, task_id, task_outcome
from adapters.rest.vocabulary import KINDS
from core.domain import lifecycle
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


def _run(order: Order, caller: Caller, operation: str, reason: str | None = None) -> None:
    lifecycle.run_order_operation(order, operation, caller, NOW, reason)


def test_a_cancel_before_start_is_done():
    order = _order()
    _run(order, CLIENT, "cancel", "duplicate")
    (position,) = cancel_positions(order)
    state, decided = task_outcome(SERVICE, order.history, position)
    assert state == "done"
    assert decided is not None
    assert decided.reason == "duplicate"


def test_a_cancel_under_way_is_received_then_in_progress_then_done():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, CLIENT, "cancel")
    (position,) = cancel_positions(order)
    assert task_outcome(PRODUCT, order.history, position)[0] == "acknowledged"
    assert task_outcome(SERVICE, order.history, position)[0] == "accepted"
    _run(order, NOC, "acceptCancellation")
    assert task_outcome(SERVICE, order.history, position)[0] == "inProgress"
    for item in ("1", "2"):
        lifecycle.change_item_state(order, item, State.CANCELLED, NOC, NOW)
    assert order.state is State.CANCELLED
    assert task_outcome(SERVICE, order.history, position)[0] == "done"


def test_a_denied_cancel_terminates_with_error_and_a_later_one_is_a_new_task():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, CLIENT, "cancel")
    _run(order, NOC, "denyCancellation", "too late")
    _run(order, CLIENT, "cancel")
    first, second = cancel_positions(order)
    state, decided = task_outcome(SERVICE, order.history, first)
    assert (state, decided.reason if decided else None) == ("terminatedWithError", "too late")
    assert task_outcome(SERVICE, order.history, second)[0] == "accepted"


def test_an_order_abandoned_by_the_fulfiller_has_one_done_task():
    order = _order()
    _run(order, CLIENT, "start")
    _run(order, NOC, "hold")
    _run(order, NOC, "abandon", "no permit")
    (position,) = cancel_positions(order)
    assert task_outcome(SERVICE, order.history, position)[0] == "done"


def test_task_ids_carry_the_order_id_and_position():
    assert split_task_id(task_id("ord~with~tildes", 7)) == ("ord~with~tildes", 7)
    for bad in ("nothing", "o1~", "~3", "o1~x"):
        with pytest.raises(ObjectNotFound):
            split_task_id(bad)
