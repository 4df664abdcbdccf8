"""The domain events.  Past tense: each says what happened to an order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    CREATED = "OrderCreate"
    STATE_CHANGED = "OrderStateChange"
    ATTRIBUTES_CHANGED = "OrderAttributeValueChange"
    REMOVED = "OrderRemove"
    INFORMATION_REQUIRED = "OrderInformationRequired"
    MILESTONE = "OrderMilestone"  # the fulfiller reached a step of the work
    JEOPARDY = "OrderJeopardy"  # the order is late: its completion date passed while it is open
    # a cancel task (core.domain.cancel_tasks): a request to cancel the order, and its progress
    CANCEL_CREATED = "CancelOrderCreate"
    CANCEL_STATE_CHANGED = "CancelOrderStateChange"


@dataclass(frozen=True, slots=True)
class ItemStateChange:
    item_id: str
    previous_state: str
    state: str


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One event about one order.

    ``order`` is the order's canonical snapshot (see ``core.document``)
    after the change, so every channel can render the full order without
    reading the database again.  ``seq`` is the outbox position, set once the
    event is stored.
    """

    event_id: str
    type: EventType
    occurred_at: datetime
    order_id: str
    kind: str
    client_id: str
    state: str
    order: dict[str, Any]
    previous_state: str | None = None
    reason: str | None = None
    item_changes: tuple[ItemStateChange, ...] = ()
    changed_fields: tuple[str, ...] = ()
    actor: str | None = None
    task_id: str | None = None  # cancel task events: the task, and its state after the event
    task_state: str | None = None
    seq: int | None = field(default=None, compare=False)
