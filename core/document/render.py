"""Domain objects -> the canonical document: typed attributes under their canonical names, then
each object's client data as it was given.

Built entry by entry, absent entries left out: every order change writes
this document, most of them several times (the stored row, each event).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.document.fields import _DATE_ATTR, _TEXT_ATTR
from core.domain.model import ChildRef, EntityRef, HistoryEntry, JeopardyAlert, Milestone, Order, OrderItem


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with ``Z``; milliseconds when the time has no finer part (as clients write it)."""
    if value is None:
        return None
    utc = value.astimezone(UTC)
    spec = "seconds" if not utc.microsecond else "milliseconds" if not utc.microsecond % 1000 else "auto"
    return utc.isoformat(timespec=spec).replace("+00:00", "Z")


def _entity(ref: EntityRef) -> dict[str, Any]:
    entity: dict[str, Any] = {}
    if ref.id is not None:
        entity["id"] = ref.id
    if (spec := ref.specification) is not None:
        named = {k: v for k, v in (("id", spec.id), ("name", spec.name)) if v is not None}
        entity["specification"] = {**named, **spec.data}
    if ref.characteristics:
        entity["characteristics"] = [{"name": c.name, "value": c.value, **c.data} for c in ref.characteristics]
    if ref.data:
        entity.update(ref.data)
    return entity


def item_to_dict(item: OrderItem) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": item.id, "action": item.action.value, "state": item.state.value}
    if item.state_reason is not None:
        doc["stateReason"] = item.state_reason
    doc["quantity"] = item.quantity
    entity = _entity(item.entity)
    if entity:
        doc["entity"] = entity
    if item.relationships:
        doc["relationships"] = [{"type": r.type, "itemId": r.item_id, **r.data} for r in item.relationships]
    if item.point_of_no_return:
        doc["pointOfNoReturn"] = True
    if item.items:
        doc["items"] = [item_to_dict(inner) for inner in item.items]
    if item.children:
        doc["children"] = [_child(c) for c in item.children]
    if item.data:
        doc.update(item.data)
    return doc


def _child(c: ChildRef) -> dict[str, Any]:
    out = {"part": c.part, "kind": c.kind.value}
    if c.order_id is not None:
        out["orderId"] = c.order_id
    return out


def _present(**entries: Any) -> dict[str, Any]:
    return {k: v for k, v in entries.items() if v is not None}


def milestone_to_dict(m: Milestone) -> dict[str, Any]:
    return _present(
        id=m.id,
        name=m.name,
        milestoneDate=iso(m.milestone_date),
        status=m.status,
        description=m.description,
        message=m.message,
    )


def jeopardy_to_dict(j: JeopardyAlert) -> dict[str, Any]:
    return _present(
        id=j.id,
        name=j.name,
        alertDate=iso(j.alert_date),
        jeopardyType=j.jeopardy_type,
        exception=j.exception,
        message=j.message,
    )


def history_to_dict(h: HistoryEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {"at": iso(h.at), "actor": h.actor}
    if h.from_state is not None:
        doc["fromState"] = h.from_state.value
    doc["toState"] = h.to_state.value
    for key, value in (("reason", h.reason), ("itemId", h.item_id), ("operation", h.operation)):
        if value is not None:
            doc[key] = value
    if h.changed:
        doc["changed"] = list(h.changed)
    if h.requested is not None:
        doc["requested"] = iso(h.requested)
    return doc


def order_to_dict(order: Order, *, with_history: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": order.id, "kind": order.kind.value, "clientId": order.client_id}
    doc["orderType"] = order.order_type
    doc["state"] = order.state.value
    doc["version"] = order.version
    if order.priority:
        doc["priority"] = order.priority.name.lower()
    if order.items:
        doc["items"] = [item_to_dict(i) for i in order.items]
    if order.notes:
        doc["notes"] = [
            {"text": n.text, **{k: v for k, v in (("author", n.author), ("date", iso(n.date))) if v}, **n.data}
            for n in order.notes
        ]
    if order.related_parties:
        doc["relatedParties"] = [
            {"id": p.id, **{k: v for k, v in (("role", p.role), ("name", p.name)) if v is not None}, **p.data}
            for p in order.related_parties
        ]
    if order.relationships:
        doc["relationships"] = [{"type": r.type, "orderId": r.order_id, **r.data} for r in order.relationships]
    if order.state_before_cancellation:
        doc["stateBeforeCancellation"] = order.state_before_cancellation.value
    if (parent := order.parent) is not None:
        doc["parent"] = {"kind": parent.kind.value, "orderId": parent.order_id, "itemId": parent.item_id}
    if order.milestones:
        doc["milestones"] = [milestone_to_dict(m) for m in order.milestones]
    if order.jeopardy_alerts:
        doc["jeopardyAlerts"] = [jeopardy_to_dict(j) for j in order.jeopardy_alerts]
    for key, attr in _DATE_ATTR.items():
        if (date := getattr(order, attr)) is not None:
            doc[key] = iso(date)
    for key, attr in _TEXT_ATTR.items():
        if (text := getattr(order, attr)) is not None:
            doc[key] = text
    if order.data:
        doc.update(order.data)
    if with_history and order.history:
        doc["history"] = order.history.stored_form(history_to_dict)
    return doc
