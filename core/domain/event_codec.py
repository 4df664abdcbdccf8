"""Events as plain documents, for the outbox and for delivery queues."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.document.parse import parse_date
from core.document.render import iso
from core.domain.events import EventType, ItemStateChange, OrderEvent


def event_to_dict(event: OrderEvent) -> dict[str, Any]:
    return {
        "eventId": event.event_id,
        "type": event.type.value,
        "occurredAt": iso(event.occurred_at),
        "orderId": event.order_id,
        "kind": event.kind,
        "clientId": event.client_id,
        "state": event.state,
        "order": event.order,
        "previousState": event.previous_state,
        "reason": event.reason,
        "itemChanges": [
            {"itemId": c.item_id, "previousState": c.previous_state, "state": c.state}
            for c in event.item_changes
        ],
        "changedFields": list(event.changed_fields),
        "actor": event.actor,
        **({"taskId": event.task_id, "taskState": event.task_state} if event.task_id else {}),
    }


def event_from_dict(doc: Mapping[str, Any], seq: int | None = None) -> OrderEvent:
    occurred = parse_date(doc["occurredAt"], "occurredAt")
    assert occurred is not None
    return OrderEvent(
        event_id=doc["eventId"],
        type=EventType(doc["type"]),
        occurred_at=occurred,
        order_id=doc["orderId"],
        kind=doc["kind"],
        client_id=doc["clientId"],
        state=doc["state"],
        order=dict(doc["order"]),
        previous_state=doc.get("previousState"),
        reason=doc.get("reason"),
        item_changes=tuple(
            ItemStateChange(c["itemId"], c["previousState"], c["state"]) for c in doc.get("itemChanges", [])
        ),
        changed_fields=tuple(doc.get("changedFields", [])),
        actor=doc.get("actor"),
        task_id=doc.get("taskId"),
        task_state=doc.get("taskState"),
        seq=seq,
    )
