"""Order and item transitions: the one place that applies the state tables.

Each public function is one domain operation on one loaded order.  It checks
the move against ``core.domain.states``, lets the items follow, derives the
order state from the items where the table says so, bumps the version once,
writes history and records exactly one state-change event per state change.
Nothing here does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.document.render import order_to_dict
from core.domain.errors import IllegalArgument, IllegalState, PermissionDenied
from core.domain.events import EventType, ItemStateChange, OrderEvent
from core.domain.model import Caller, HistoryEntry, Order, OrderItem, Role
from core.domain.states import (
    ITEM_FOLLOWS,
    ITEM_ROLL_UP,
    ITEM_TRANSITIONS,
    ITEM_WORK_ALLOWED,
    ORDER_TRANSITIONS,
    PREVIOUS,
    Actor,
    State,
    Transition,
)


def actors_of(caller: Caller, order: Order) -> tuple[Actor, ...]:
    """The transition actors a caller may act as on the order, client moves first (the client's
    moves only on its own orders)."""
    out = []
    if caller.is_client_of(order):
        out.append(Actor.CLIENT)
    if caller.is_admin or Role.FULFILLER in caller.roles:
        out.append(Actor.FULFILLER)
    return tuple(out)


@dataclass
class _Step:
    """What one operation changed, gathered for its single event."""

    previous: State
    items: list[ItemStateChange] = field(default_factory=list)


def record_event(
    order: Order,
    type_: EventType,
    now: datetime,
    actor: str,
    *,
    previous_state: State | None = None,
    reason: str | None = None,
    item_changes: tuple[ItemStateChange, ...] = (),
    changed_fields: tuple[str, ...] = (),
) -> None:
    order.pending_events.append(
        OrderEvent(
            event_id=str(uuid.uuid4()),
            type=type_,
            occurred_at=now,
            order_id=order.id,
            kind=order.kind.value,
            client_id=order.client_id,
            state=order.state.value,
            order=order_to_dict(order, with_history=False),
            previous_state=previous_state.value if previous_state else None,
            reason=reason,
            item_changes=item_changes,
            changed_fields=changed_fields,
            actor=actor,
        )
    )


def _move_item(
    order: Order,
    item: OrderItem,
    target: State,
    step: _Step,
    who: str,
    now: datetime,
    reason: str | None,
    operation: str,
) -> None:
    step.items.append(ItemStateChange(item.id, item.state.value, target.value))
    order.history.append(HistoryEntry(now, who, item.state, target, reason, item.id, operation))
    item.state = target
    item.state_reason = reason


def _set_order_state(
    order: Order, target: State, who: str, now: datetime, reason: str | None, operation: str
) -> None:
    order.history.append(HistoryEntry(now, who, order.state, target, reason, None, operation))
    order.state = target
    order.state_reason = reason
    if target is State.IN_PROGRESS and order.start_date is None:
        order.start_date = now
    if target is State.CANCELLED:
        order.cancellation_date = now
        order.cancellation_reason = reason
    if target in (State.COMPLETED, State.PARTIAL, State.FAILED):
        order.completion_date = now


def derive_from_items(order: Order) -> tuple[State, str] | None:
    """The order state the items imply, with the deriving operation, or None."""
    states = [i.state for i in order.items]
    if order.state is State.PENDING_CANCELLATION:
        if all(s.is_closed for s in states):
            return State.CANCELLED, "rolledBack"
        return None
    if order.state is not State.IN_PROGRESS or not all(s.is_closed for s in states):
        return None
    kinds = set(states)
    for single, op in (
        (State.COMPLETED, "itemsCompleted"),
        (State.FAILED, "itemsFailed"),
        (State.CANCELLED, "itemsCancelled"),
    ):
        if kinds == {single}:
            return single, op
    if State.COMPLETED in kinds:
        return State.PARTIAL, "itemsPartial"
    return State.FAILED, "itemsFailed"


def _find(order: Order, operation: str) -> Transition:
    for t in ORDER_TRANSITIONS:
        if t.source is order.state and t.operation == operation and t.actor is not Actor.DERIVED:
            return t
    raise IllegalState(f"{order.kind.value} {order.id!r} is {order.state.value}: {operation} is not allowed")


def _check_actor(caller: Caller, operation: str, order: Order) -> None:
    actors = {t.actor for t in ORDER_TRANSITIONS if t.operation == operation} - {Actor.DERIVED}
    if not actors:
        raise IllegalArgument(f"unknown order operation {operation!r}")
    if not actors & set(actors_of(caller, order)):
        needed = " or ".join(sorted(a.value for a in actors))
        raise PermissionDenied(f"{operation} needs the {needed} role")


def _apply(order: Order, t: Transition, who: str, now: datetime, reason: str | None) -> _Step:
    step = _Step(order.state)
    target = t.target
    if target == PREVIOUS:
        target = order.state_before_cancellation or State.IN_PROGRESS
        order.state_before_cancellation = None
    assert isinstance(target, State)
    follows = ITEM_FOLLOWS.get(t.operation, {})
    if target is State.ASSESSING_CANCELLATION:
        order.state_before_cancellation = order.state
        follows = {}  # nothing moves until the cancellation is accepted: a denial leaves the order as it was
    for item in order.all_items():
        if item.state in follows:
            _move_item(order, item, follows[item.state], step, who, now, reason, t.operation)
    _set_order_state(order, target, who, now, reason, t.operation)
    return step


def _emit(order: Order, step: _Step, who: str, now: datetime, reason: str | None) -> None:
    record_event(
        order,
        EventType.STATE_CHANGED,
        now,
        who,
        previous_state=step.previous,
        reason=reason,
        item_changes=tuple(step.items),
    )
    # only a request for information (inProgress -> pending) asks for it; a denied
    # cancellation returning the order to pending does not ask again
    if order.state is State.PENDING and step.previous is State.IN_PROGRESS:
        record_event(order, EventType.INFORMATION_REQUIRED, now, who, reason=reason)


def derive_item(item: OrderItem, order_state: State) -> tuple[State, str] | None:
    """The state an item holding items takes once all of them closed, with the deriving operation.

    Items have no ``partial``: a mix with something not completed is ``failed``."""
    states = {i.state for i in item.items}
    if not item.items or item.state.is_closed or not all(s.is_closed for s in states):
        return None
    if order_state is State.PENDING_CANCELLATION:
        return State.CANCELLED, "rolledBack"
    for single, op in (
        (State.COMPLETED, "itemsCompleted"),
        (State.CANCELLED, "itemsCancelled"),
    ):
        if states == {single}:
            return single, op
    return State.FAILED, "itemsFailed"


def _derive_parents(order: Order, items: list[OrderItem], step: _Step, who: str, now: datetime) -> None:
    """Items holding items follow them, innermost first."""
    for item in items:
        _derive_parents(order, item.items, step, who, now)
        derived = derive_item(item, order.state)
        if derived is not None:
            unfinished = [i.id for i in item.items if i.state is not State.COMPLETED]
            why = f"item(s) {', '.join(unfinished)} did not complete" if derived[0] is State.FAILED else None
            _move_item(order, item, derived[0], step, who, now, why, derived[1])


def _derive_and_emit(order: Order, step: _Step, who: str, now: datetime, reason: str | None) -> None:
    _derive_parents(order, order.items, step, who, now)
    derived = derive_from_items(order)
    if derived is not None:
        _set_order_state(order, derived[0], who, now, reason, derived[1])
    _emit(order, step, who, now, reason)


def past_point_of_no_return(order: Order) -> list[str]:
    """The open items (at any level) past their point of no return: they deny a cancellation."""
    return [i.id for i in order.all_items() if i.point_of_no_return and i.state.is_open]


def _auto_deny_past_point_of_no_return(order: Order, who: str, now: datetime) -> None:
    blocking = past_point_of_no_return(order)
    if not blocking:
        return
    reason = f"cancellation denied: item(s) {', '.join(blocking)} past the point of no return"
    deny = next(
        t for t in ORDER_TRANSITIONS if t.operation == "denyCancellation" and t.actor is Actor.DERIVED
    )
    _emit(order, _apply(order, deny, "ordergate", now, reason), "ordergate", now, reason)


def run_order_operation(
    order: Order, operation: str, caller: Caller, now: datetime, reason: str | None = None
) -> None:
    """Apply a named order operation (start, suspend, cancel, reject ...).

    An operation whose target is the order's current state (start an order
    already in progress, cancel a cancelled one) is a no-op, as a transition
    request by target state is: both forms must give the same answer."""
    _check_actor(caller, operation, order)
    mine = set(actors_of(caller, order))
    if any(
        t.target == order.state for t in ORDER_TRANSITIONS if t.operation == operation and t.actor in mine
    ):
        return
    t = _find(order, operation)
    if operation == "acceptCancellation":
        blocking = past_point_of_no_return(order)
        if blocking:
            raise IllegalState(f"item(s) {', '.join(blocking)} past the point of no return")
    order.version += 1
    step = _apply(order, t, caller.client_id, now, reason)
    _derive_and_emit(order, step, caller.client_id, now, reason)
    if order.state is State.ASSESSING_CANCELLATION:
        _auto_deny_past_point_of_no_return(order, caller.client_id, now)


def requested_operation(order: Order, target: State, caller: Caller) -> str | None:
    """The order operation a request for ``target`` stands for, by the caller's roles (client
    moves first); None when the order is there already or no move of the caller's leads there."""
    if target is order.state:
        return None
    for actor in actors_of(caller, order):
        for t in ORDER_TRANSITIONS:
            resolved = order.state_before_cancellation if t.target == PREVIOUS else t.target
            if t.source is order.state and resolved is target and t.actor is actor:
                return t.operation
    return None


def request_order_state(
    order: Order, target: State, caller: Caller, now: datetime, reason: str | None = None
) -> bool:
    """A transition request by target state.  False: already there, nothing done."""
    if target is order.state:
        return False
    operation = requested_operation(order, target, caller)
    if operation is not None:
        run_order_operation(order, operation, caller, now, reason)
        return True
    allowed = actors_of(caller, order)
    raise IllegalState(
        f"{order.kind.value} {order.id!r} cannot go from {order.state.value} to {target.value}"
        f" as {'/'.join(a.value for a in allowed) or 'this caller'}"
    )


def change_item_state(
    order: Order, item_id: str, target: State, caller: Caller, now: datetime, reason: str | None = None
) -> bool:
    """A fulfiller moves one item.  False: already there, nothing done."""
    caller.require(Role.FULFILLER)
    item = order.item(item_id)
    if target is item.state:
        return False
    if item.items:
        raise IllegalState(f"item {item_id!r} holds items: its state follows theirs")
    if order.state not in ITEM_WORK_ALLOWED:
        raise IllegalState(f"items of an order in state {order.state.value} cannot be moved")
    for t in ITEM_TRANSITIONS:
        if t.source is item.state and t.target is target:
            if (order.state is State.PENDING_CANCELLATION) != (t.operation == "rolledBack"):
                continue
            order.version += 1
            step = _Step(order.state)
            _move_item(order, item, target, step, caller.client_id, now, reason, t.operation)
            _derive_and_emit(order, step, caller.client_id, now, reason)
            if target is State.PENDING:
                record_event(order, EventType.INFORMATION_REQUIRED, now, caller.client_id, reason=reason)
            return True
    raise IllegalState(
        f"item {item_id!r} cannot go from {item.state.value} to {target.value}"
        f" while the order is {order.state.value}"
    )


ORCHESTRATOR = Caller("ordergate", frozenset({Role.ADMIN}))  # the gateway acting on orders it relates


def roll_up(order: Order, moves: Sequence[tuple[str, State, str | None]], now: datetime) -> bool:
    """Items moved as the orders realizing them say (decomposition); False: nothing moved.

    One call is one operation: one version, one state-change event for all the moves."""
    if order.state not in ITEM_WORK_ALLOWED:
        return False
    step = _Step(order.state)
    reason = None
    for item_id, target, why in moves:
        item = order.item(item_id)
        t = next((t for t in ITEM_ROLL_UP if t.source is item.state and t.target is target), None)
        if t is None or (order.state is State.PENDING_CANCELLATION) != (t.operation == "rolledBack"):
            continue
        _move_item(order, item, target, step, ORCHESTRATOR.client_id, now, why, t.operation)
        reason = why
    if not step.items:
        return False
    order.version += 1
    _derive_and_emit(order, step, ORCHESTRATOR.client_id, now, reason)
    if any(c.state == State.PENDING.value for c in step.items):
        record_event(order, EventType.INFORMATION_REQUIRED, now, ORCHESTRATOR.client_id, reason=reason)
    return True
