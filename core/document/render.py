"""The canonical order document: an order as one dict, written entry by entry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.document.fields import _DATE_ATTR, _TEXT_ATTR
from core.domain.model import HistoryEntry, Order, OrderItem


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    """Without the absent entries: None, an empty list, an empty dict."""
    return {k: v for k, v in d.items() if v is not None and (v or not isinstance(v, list | dict))}


def item_to_dict(item: OrderItem) -> dict[str, Any]:
    # Built entry by entry, absent ones left out (as _drop_none would): every order
    # change writes this document, most of them several times.
    ref = item.entity
    entity: dict[str, Any] = {}
    if ref.id is not None:
        entity["id"] = ref.id
    if (spec := ref.specification) is not None:
        named = {k: v for k, v in (("id", spec.id), ("name", spec.name)) if v is not None}
        if named:
            entity["specification"] = named
    if ref.characteristics:
        entity["characteristics"] = dict(ref.characteristics)
    doc: dict[str, Any] = {}
    if item.id is not None:
        doc["id"] = item.id
    doc["action"] = item.action.value
    doc["state"] = item.state.value
    if item.state_reason is not None:
        doc["stateReason"] = item.state_reason
    if item.quantity is not None:
        doc["quantity"] = item.quantity
    if entity:
        doc["entity"] = entity
    if item.relationships:
        doc["relationships"] = [{"type": r.type, "itemId": r.item_id} for r in item.relationships]
    if item.point_of_no_return:
        doc["pointOfNoReturn"] = item.point_of_no_return
    return doc


def history_to_dict(h: HistoryEntry) -> dict[str, Any]:
    return _drop_none(
        {
            "at": iso(h.at),
            "actor": h.actor,
            "fromState": h.from_state.value if h.from_state else None,
            "toState": h.to_state.value,
            "reason": h.reason,
            "itemId": h.item_id,
            "operation": h.operation,
        }
    )


def order_to_dict(order: Order, *, with_history: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {}  # entry by entry, absent ones left out, as in item_to_dict
    for key, value in (("id", order.id), ("kind", order.kind.value), ("clientId", order.client_id)):
        if value is not None:
            doc[key] = value
    if order.order_type is not None:
        doc["orderType"] = order.order_type
    doc["state"] = order.state.value
    if order.version is not None:
        doc["version"] = order.version
    if order.priority:
        doc["priority"] = order.priority.name.lower()
    if order.items:
        doc["items"] = [item_to_dict(i) for i in order.items]
    if order.notes:
        doc["notes"] = [_drop_none({"text": n.text, "author": n.author, "date": iso(n.date)}) for n in order.notes]
    if order.related_parties:
        doc["relatedParties"] = [
            _drop_none({"id": p.id, "role": p.role, "name": p.name}) for p in order.related_parties
        ]
    if order.relationships:
        doc["relationships"] = [{"type": r.type, "orderId": r.order_id} for r in order.relationships]
    if order.state_before_cancellation:
        doc["stateBeforeCancellation"] = order.state_before_cancellation.value
    for key, attr in _DATE_ATTR.items():
        if (date := getattr(order, attr)) is not None:
            doc[key] = iso(date)
    for key, attr in _TEXT_ATTR.items():
        if (text := getattr(order, attr)) is not None:
            doc[key] = text
    if with_history and order.history:
        doc["history"] = [history_to_dict(h) for h in order.history]
    return doc
