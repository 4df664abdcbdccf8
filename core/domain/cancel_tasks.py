"""Cancel tasks: each request to cancel an order is a task of its own (TMF's CancelProductOrder,
CancelServiceOrder ...), received when it is made, in progress once the fulfiller accepts it, done
when the order is cancelled, terminated with an error when the cancellation is denied.

A task lives in the order's history: its id is the order's id and the position of the request
there (``<order id>~<position>``).  An order cancelled without a request (the fulfiller abandoned
it, or every item was cancelled) has one task, received and done at that cancellation.  Each
step of a task is an event (``CancelOrderCreate``, ``CancelOrderStateChange``) after the order's
own events of the same change.

The history is the truth; stores also keep each task as a row of its own (``CancelTask``, written
with the change that began or moved it: ``touched``), so that a caller's tasks are listed without
reading any order.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from core.document.render import order_to_dict
from core.domain.errors import IllegalArgument, ObjectNotFound
from core.domain.events import EventType, OrderEvent
from core.domain.model import HistoryEntry, Kind, Order
from core.domain.states import State

SEPARATOR = "~"
RECEIVED = "acknowledged"
IN_PROGRESS = "inProgress"
DONE = "done"
TERMINATED = "terminatedWithError"
TASK_STATES = (RECEIVED, IN_PROGRESS, DONE, TERMINATED)
MAX_LISTED_ORDERS = 100  # order ids one listing of tasks may name


@dataclass(frozen=True, slots=True)
class CancelTask:
    """One cancel task as a store keeps it: what it is about, where it stands and why."""

    order_id: str
    position: int
    kind: Kind
    client_id: str
    state: str  # one of TASK_STATES
    created_at: datetime  # when it was asked for
    reason: str | None = None  # the cancellation reason the request gave
    requested: datetime | None = None  # the cancellation date the request asked for
    decided_at: datetime | None = None  # when it was done or terminated
    decided_reason: str | None = None  # why, as the deciding entry says

    @property
    def id(self) -> str:
        return task_id(self.order_id, self.position)


@dataclass(frozen=True, slots=True)
class CancelTaskQuery:
    """A caller's cancel tasks of one kind, oldest first: only those of the named orders (ids as
    the caller names them) and in the given states, when given."""

    kind: Kind
    order_ids: frozenset[str] = frozenset()
    states: frozenset[str] = frozenset()
    offset: int = 0
    limit: int = 50

    def __post_init__(self) -> None:
        if len(self.order_ids) > MAX_LISTED_ORDERS:
            raise IllegalArgument(f"at most {MAX_LISTED_ORDERS} order ids may be named in one listing")
        unknown = sorted(self.states - set(TASK_STATES))
        if unknown:
            raise IllegalArgument(f"unknown cancel task state(s): {', '.join(unknown)}")


@dataclass(frozen=True, slots=True)
class CancelTaskPage:
    tasks: list[CancelTask]
    total: int


def sort_key(task: CancelTask) -> tuple[datetime, str, int]:
    """The order tasks are listed in: oldest request first."""
    return task.created_at, task.order_id, task.position


def task_id(order_id: str, position: int) -> str:
    return f"{order_id}{SEPARATOR}{position}"


def split_task_id(raw: str) -> tuple[str, int]:
    order_id, sep, position = raw.rpartition(SEPARATOR)
    if not sep or not order_id or not position.isdigit() or len(position) > 9:
        raise ObjectNotFound(f"no cancel task {raw[:140]!r}")
    return order_id, int(position)


def _is_request(entry: HistoryEntry) -> bool:
    return entry.item_id is None and entry.operation == "cancel"


def _ends(entry: HistoryEntry) -> bool:
    return entry.item_id is None and (
        entry.to_state is State.CANCELLED or entry.operation == "denyCancellation"
    )


def positions(order: Order) -> list[int]:
    """Where the order's cancel tasks start in its history: each request, and for an order
    cancelled without one (abandoned, or every item cancelled), that cancellation."""
    requests = [i for i, h in enumerate(order.history) if _is_request(h)]
    if order.state is State.CANCELLED and not any(outcome(order.history, p)[0] == DONE for p in requests):
        ended = [
            i for i, h in enumerate(order.history) if h.item_id is None and h.to_state is State.CANCELLED
        ]
        requests.append(ended[-1])
    return requests


def tasks(order: Order) -> list[CancelTask]:
    """The order's cancel tasks, as they stand."""
    found = []
    for position in positions(order):
        asked = order.history[position]
        state, decided = outcome(order.history, position)
        found.append(
            CancelTask(
                order_id=order.id,
                position=position,
                kind=order.kind,
                client_id=order.client_id,
                state=state,
                created_at=asked.at,
                reason=asked.reason,
                requested=asked.requested,
                decided_at=None if decided is None else decided.at,
                decided_reason=None if decided is None else decided.reason,
            )
        )
    return found


def _moves_a_task(entry: HistoryEntry) -> bool:
    """A request, its acceptance, or its end."""
    accepted = entry.item_id is None and entry.to_state is State.PENDING_CANCELLATION
    return _is_request(entry) or accepted or _ends(entry)


def touched(order: Order) -> list[CancelTask]:
    """The order's tasks, when the change being made (the entries added since it was read)
    began or moved one; else none (nothing for a store to write)."""
    return tasks(order) if any(_moves_a_task(e) for e in order.history.added()) else []


def matching(
    found: Collection[CancelTask], query: CancelTaskQuery, order_ids: Collection[str]
) -> CancelTaskPage:
    """The page of ``found`` (one caller's tasks of any kind) the query asks for, ``order_ids``
    the ids its named orders may have: the reference meaning of a task listing."""
    chosen = sorted(
        (
            t
            for t in found
            if t.kind is query.kind
            and (not order_ids or t.order_id in order_ids)
            and (not query.states or t.state in query.states)
        ),
        key=sort_key,
    )
    return CancelTaskPage(chosen[query.offset : query.offset + query.limit], len(chosen))


def outcome(history: Sequence[HistoryEntry], position: int) -> tuple[str, HistoryEntry | None]:
    """The state of the task starting at ``position``, with the entry that decided it, if any."""
    state = RECEIVED
    for entry in history[position:]:
        if entry.item_id is not None:
            continue
        if entry.to_state is State.CANCELLED:
            return DONE, entry
        if entry.operation == "denyCancellation":
            return TERMINATED, entry
        if entry.to_state is State.PENDING_CANCELLATION:
            state = IN_PROGRESS
    return state, None


def open_request(history: Sequence[HistoryEntry], before: int) -> int | None:
    """The position of the request still open at ``before`` (None: there is none)."""
    for position in range(before - 1, -1, -1):
        entry = history[position]
        if _is_request(entry):
            return position
        if _ends(entry):
            return None
    return None


def announce(order: Order) -> None:
    """Append the events of the cancel tasks that the entries added to the history since the
    last call began or moved."""
    for position, entry in order.history.unannounced():
        if entry.item_id is not None:
            continue
        if _is_request(entry):
            _event(order, EventType.CANCEL_CREATED, position, RECEIVED, entry)
            if entry.to_state is State.CANCELLED:
                _event(order, EventType.CANCEL_STATE_CHANGED, position, DONE, entry)
            continue
        if entry.from_state is entry.to_state:
            continue  # an attribute change, a milestone, an alert: no move of the task
        moved = {State.PENDING_CANCELLATION: IN_PROGRESS, State.CANCELLED: DONE}.get(entry.to_state)
        if entry.operation == "denyCancellation":
            moved = TERMINATED
        if moved is None:
            continue
        request = open_request(order.history, position)
        if request is None and entry.to_state is State.CANCELLED:
            _event(order, EventType.CANCEL_CREATED, position, RECEIVED, entry)
            request = position
        if request is not None:
            _event(order, EventType.CANCEL_STATE_CHANGED, request, moved, entry)


def _event(order: Order, type_: EventType, position: int, state: str, entry: HistoryEntry) -> None:
    order.pending_events.append(
        OrderEvent(
            event_id=str(uuid.uuid4()),
            type=type_,
            occurred_at=entry.at,
            order_id=order.id,
            kind=order.kind.value,
            client_id=order.client_id,
            state=order.state.value,
            order=order_to_dict(order, with_history=False),
            reason=entry.reason,
            actor=entry.actor,
            task_id=task_id(order.id, position),
            task_state=state,
        )
    )
