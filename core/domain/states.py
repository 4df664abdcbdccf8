"""The canonical state set and the transition tables, as data.

Every state change in Ordergate is looked up here: the tables below are the
only place that says which move is legal, who may make it and what it is
called.  Both name sets (TMF for REST, OSS/J for the XML profiles) come from
the one ``STATE_NAMES`` table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.domain.errors import IllegalAttributeValue


class State(StrEnum):
    """Canonical order/item state; the value is the TMF name."""

    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "inProgress"
    PENDING = "pending"
    HELD = "held"
    ASSESSING_CANCELLATION = "assessingCancellation"
    PENDING_CANCELLATION = "pendingCancellation"
    COMPLETED = "completed"
    PARTIAL = "partial"
    FAILED = "failed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def tmf(self) -> str:
        return self.value

    @property
    def ossj(self) -> str:
        return STATE_NAMES[self][0]

    @property
    def is_closed(self) -> bool:
        return STATE_NAMES[self][1]

    @property
    def is_open(self) -> bool:
        return not self.is_closed

    @classmethod
    def from_tmf(cls, name: str) -> State:
        try:
            return cls(name)
        except ValueError:
            raise IllegalAttributeValue("state", f"unknown state {name!r}") from None

    @classmethod
    def from_ossj(cls, name: str) -> State:
        state = _BY_OSSJ.get(name)
        if state is None:
            raise IllegalAttributeValue("state", f"unknown state {name!r}")
        return state


# canonical -> (OSS/J string, closed?)
STATE_NAMES: dict[State, tuple[str, bool]] = {
    State.ACKNOWLEDGED: ("open.not_running.not_started", False),
    State.IN_PROGRESS: ("open.running", False),
    State.PENDING: ("open.running.pending", False),
    State.HELD: ("open.not_running.suspended", False),
    State.ASSESSING_CANCELLATION: ("open.running.assessing_cancellation", False),
    State.PENDING_CANCELLATION: ("open.running.pending_cancellation", False),
    State.COMPLETED: ("closed.completed", True),
    State.PARTIAL: ("closed.completed.partial", True),
    State.FAILED: ("closed.aborted.aborted_byserver", True),
    State.REJECTED: ("closed.aborted.aborted_byserver.rejected", True),
    State.CANCELLED: ("closed.aborted.aborted_byclient", True),
}
_BY_OSSJ = {names[0]: state for state, names in STATE_NAMES.items()}

ITEM_STATES: frozenset[State] = frozenset(State) - {State.PARTIAL}


class Actor(StrEnum):
    """Who may trigger a transition: a client, a fulfiller, or the core itself."""

    CLIENT = "client"
    FULFILLER = "fulfiller"
    DERIVED = "derived"


# A transition whose target is PREVIOUS returns to the state held before
# the cancellation assessment began.
PREVIOUS = "previous"

S = State


@dataclass(frozen=True, slots=True)
class Transition:
    source: State
    target: State | str  # a State, or PREVIOUS
    operation: str
    actor: Actor


def _rows(sources: tuple[State, ...], target: State | str, op: str, actor: Actor) -> list[Transition]:
    return [Transition(s, target, op, actor) for s in sources]


C, F, D = Actor.CLIENT, Actor.FULFILLER, Actor.DERIVED
_RUNNING = (S.IN_PROGRESS, S.PENDING, S.HELD)

ORDER_TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.ACKNOWLEDGED, S.IN_PROGRESS, "start", C),
    Transition(S.ACKNOWLEDGED, S.CANCELLED, "cancel", C),
    Transition(S.ACKNOWLEDGED, S.REJECTED, "reject", F),
    Transition(S.IN_PROGRESS, S.HELD, "suspend", C),
    Transition(S.IN_PROGRESS, S.HELD, "hold", F),
    Transition(S.HELD, S.IN_PROGRESS, "resume", C),
    Transition(S.HELD, S.IN_PROGRESS, "release", F),
    Transition(S.IN_PROGRESS, S.PENDING, "requestInformation", F),
    Transition(S.PENDING, S.IN_PROGRESS, "informationReceived", F),
    *_rows((S.PENDING, S.HELD), S.CANCELLED, "abandon", F),
    *_rows(_RUNNING, S.ASSESSING_CANCELLATION, "cancel", C),
    Transition(S.ASSESSING_CANCELLATION, S.PENDING_CANCELLATION, "acceptCancellation", F),
    Transition(S.ASSESSING_CANCELLATION, PREVIOUS, "denyCancellation", F),
    Transition(S.ASSESSING_CANCELLATION, PREVIOUS, "denyCancellation", D),
    Transition(S.PENDING_CANCELLATION, S.CANCELLED, "rolledBack", D),
    *_rows((S.IN_PROGRESS,), S.COMPLETED, "itemsCompleted", D),
    *_rows((S.IN_PROGRESS,), S.FAILED, "itemsFailed", D),
    *_rows((S.IN_PROGRESS,), S.PARTIAL, "itemsPartial", D),
    *_rows((S.IN_PROGRESS,), S.CANCELLED, "itemsCancelled", D),
)

# Item moves a fulfiller makes directly (changeOrderItemState).  Moves that
# follow an order transition (start, suspend, cancel ...) are in ITEM_FOLLOWS.
ITEM_TRANSITIONS: tuple[Transition, ...] = (
    Transition(S.ACKNOWLEDGED, S.IN_PROGRESS, "start", F),
    Transition(S.IN_PROGRESS, S.COMPLETED, "complete", F),
    Transition(S.IN_PROGRESS, S.FAILED, "fail", F),
    Transition(S.IN_PROGRESS, S.HELD, "hold", F),
    Transition(S.HELD, S.IN_PROGRESS, "release", F),
    Transition(S.IN_PROGRESS, S.PENDING, "requestInformation", F),
    Transition(S.PENDING, S.IN_PROGRESS, "informationReceived", F),
    Transition(S.IN_PROGRESS, S.CANCELLED, "cancel", F),
    Transition(S.HELD, S.CANCELLED, "cancel", F),
    Transition(S.PENDING, S.CANCELLED, "cancel", F),
    Transition(S.PENDING_CANCELLATION, S.CANCELLED, "rolledBack", F),
)

# Item moves the gateway makes from the orders that realize the item (decomposition: an item's
# parts are orders of the layer below; their states roll up to it).
ITEM_ROLL_UP: tuple[Transition, ...] = (
    Transition(S.IN_PROGRESS, S.COMPLETED, "partsCompleted", D),
    Transition(S.IN_PROGRESS, S.FAILED, "partFailed", D),
    Transition(S.PENDING, S.FAILED, "partFailed", D),
    Transition(S.IN_PROGRESS, S.PENDING, "partPending", D),
    Transition(S.PENDING, S.IN_PROGRESS, "partResumed", D),
    Transition(S.IN_PROGRESS, S.CANCELLED, "partsCancelled", D),
    Transition(S.PENDING, S.CANCELLED, "partsCancelled", D),
    Transition(S.PENDING_CANCELLATION, S.CANCELLED, "rolledBack", D),
)

# The order states in which a fulfiller may move items at all.
ITEM_WORK_ALLOWED: frozenset[State] = frozenset({S.IN_PROGRESS, S.PENDING_CANCELLATION})

# When the order makes a move, its items follow: order operation ->
# {item state before: item state after}.  Items in other states stay put.
ITEM_FOLLOWS: dict[str, dict[State, State]] = {
    "start": {S.ACKNOWLEDGED: S.IN_PROGRESS},
    "cancel": {S.ACKNOWLEDGED: S.CANCELLED},
    "reject": {S.ACKNOWLEDGED: S.REJECTED},
    "suspend": {S.IN_PROGRESS: S.HELD},
    "hold": {S.IN_PROGRESS: S.HELD},
    "resume": {S.HELD: S.IN_PROGRESS},
    "release": {S.HELD: S.IN_PROGRESS},
    "abandon": dict.fromkeys((S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD), S.CANCELLED),
    "acceptCancellation": dict.fromkeys(
        (S.ACKNOWLEDGED, S.IN_PROGRESS, S.PENDING, S.HELD), S.PENDING_CANCELLATION
    ),
}

# Content (items, requested dates, parties, priority) may change only here;
# annotations may change in any open state.
CONTENT_EDITABLE: frozenset[State] = frozenset({S.ACKNOWLEDGED, S.PENDING, S.HELD})

# Remove is allowed for closed orders and for orders never started.
REMOVABLE: frozenset[State] = frozenset({S.ACKNOWLEDGED}) | frozenset(s for s in State if s.is_closed)

CLIENT_OPERATIONS = ("start", "suspend", "resume", "cancel")
FULFILLER_OPERATIONS = tuple(sorted({t.operation for t in ORDER_TRANSITIONS if t.actor is F}))
ITEM_OPERATIONS = tuple(sorted({t.operation for t in ITEM_TRANSITIONS}))
