"""Canonical documents -> domain objects: the typed attributes parsed, the rest kept as client data.

The functions here read a document whose shape is known good: a client's
value checked by ``core.document.check`` first, or a stored document the
gateway wrote itself.  They still refuse what the shape cannot say (a date
outside the stored range, an item id used twice, items nested too deep).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.document import limits
from core.document.fields import (
    _DATE_ATTR,
    _TEXT_ATTR,
    CHARACTERISTIC_FIELDS,
    ENTITY_FIELDS,
    ITEM_FIELDS,
    ITEM_RELATIONSHIP_FIELDS,
    NOTE_FIELDS,
    ORDER_FIELDS,
    ORDER_RELATIONSHIP_FIELDS,
    PARTY_FIELDS,
    SPECIFICATION_FIELDS,
)
from core.domain.errors import IllegalAttributeValue
from core.domain.model import (
    Characteristic,
    ChildRef,
    ClientData,
    EntityRef,
    History,
    HistoryEntry,
    ItemAction,
    ItemRelationship,
    JeopardyAlert,
    Kind,
    Milestone,
    Note,
    Order,
    OrderItem,
    OrderRelationship,
    ParentRef,
    Priority,
    RelatedParty,
    SpecificationRef,
)
from core.domain.states import ITEM_STATES, State


def client_data(raw: Mapping[str, Any], typed: frozenset[str]) -> ClientData:
    """The attributes of ``raw`` the core does not reason about, as they are."""
    return {k: v for k, v in raw.items() if k not in typed}


def parse_date(value: Any, attribute: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise IllegalAttributeValue(attribute, f"{value[:40]!r} is not an ISO 8601 date-time") from None
    else:
        raise IllegalAttributeValue(attribute, "must be an ISO 8601 date-time string")
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    if not limits.EARLIEST <= parsed <= limits.LATEST:
        raise IllegalAttributeValue(attribute, "must lie between the years 1900 and 9999")
    return parsed


def parse_state(value: Any, attribute: str, *, item: bool = False) -> State:
    if not isinstance(value, str):
        raise IllegalAttributeValue(attribute, "must be a state name")
    try:
        state = State(value)
    except ValueError:
        raise IllegalAttributeValue(attribute, f"unknown state {value[:40]!r}") from None
    if item and state not in ITEM_STATES:
        raise IllegalAttributeValue(attribute, f"{value!r} is not an item state")
    return state


def parse_priority(value: Any) -> Priority | None:
    if value is None:
        return None
    if isinstance(value, str) and value.upper() in Priority.__members__:
        return Priority[value.upper()]
    raise IllegalAttributeValue("priority", f"unknown priority {str(value)[:40]!r}")


def _specification(raw: Mapping[str, Any] | None) -> SpecificationRef | None:
    if raw is None:
        return None
    return SpecificationRef(raw.get("id"), raw.get("name"), client_data(raw, SPECIFICATION_FIELDS))


def _entity(raw: Mapping[str, Any] | None) -> EntityRef:
    if raw is None:
        return EntityRef()
    return EntityRef(
        raw.get("id"),
        _specification(raw.get("specification")),
        tuple(
            Characteristic(c["name"], c.get("value"), client_data(c, CHARACTERISTIC_FIELDS))
            for c in raw.get("characteristics") or ()
        ),
        client_data(raw, ENTITY_FIELDS),
    )


def parse_item(raw: Mapping[str, Any], where: str = "", depth: int = 0) -> OrderItem:
    if depth > limits.MAX_DEPTH:
        raise IllegalAttributeValue(f"{where}items", f"items nest more than {limits.MAX_DEPTH} levels deep")
    state = raw.get("state")
    return OrderItem(
        id=raw["id"],
        action=ItemAction(raw["action"]),
        entity=_entity(raw.get("entity")),
        state=State.ACKNOWLEDGED if state is None else parse_state(state, f"{where}state", item=True),
        state_reason=raw.get("stateReason"),
        quantity=raw.get("quantity", 1),
        relationships=tuple(
            ItemRelationship(r["type"], r["itemId"], client_data(r, ITEM_RELATIONSHIP_FIELDS))
            for r in raw.get("relationships") or ()
        ),
        point_of_no_return=bool(raw.get("pointOfNoReturn", False)),
        items=[
            parse_item(inner, f"{where}items[{i}].", depth + 1) for i, inner in enumerate(raw.get("items") or ())
        ],
        children=tuple(
            ChildRef(c["part"], Kind(c["kind"]), c.get("orderId")) for c in raw.get("children") or ()
        ),
        data=client_data(raw, ITEM_FIELDS),
    )


def parse_items(doc: Mapping[str, Any]) -> list[OrderItem]:
    """The order's items; every id, at every level of nesting, used once."""
    items = [parse_item(raw, f"items[{i}].") for i, raw in enumerate(doc.get("items") or ())]
    seen: set[str] = set()
    for item in (it for top in items for it in top.walk()):
        if item.id in seen:
            raise IllegalAttributeValue("items", f"item id {item.id!r} appears twice")
        seen.add(item.id)
    if len(seen) > limits.MAX_ITEMS:
        raise IllegalAttributeValue("items", f"an order holds at most {limits.MAX_ITEMS} items")
    return items


def parse_notes(doc: Mapping[str, Any]) -> list[Note]:
    return [
        Note(n["text"], n.get("author"), parse_date(n.get("date"), f"notes[{i}].date"), client_data(n, NOTE_FIELDS))
        for i, n in enumerate(doc.get("notes") or ())
    ]


def parse_parties(doc: Mapping[str, Any]) -> list[RelatedParty]:
    return [
        RelatedParty(p["id"], p.get("role"), p.get("name"), client_data(p, PARTY_FIELDS))
        for p in doc.get("relatedParties") or ()
    ]


def parse_relationships(doc: Mapping[str, Any]) -> list[OrderRelationship]:
    return [
        OrderRelationship(r["type"], r["orderId"], client_data(r, ORDER_RELATIONSHIP_FIELDS))
        for r in doc.get("relationships") or ()
    ]


def history_entry(h: Mapping[str, Any]) -> HistoryEntry:
    at = parse_date(h["at"], "history.at")
    assert at is not None
    return HistoryEntry(
        at=at,
        actor=h["actor"],
        from_state=State(h["fromState"]) if h.get("fromState") else None,
        to_state=State(h["toState"]),
        reason=h.get("reason"),
        item_id=h.get("itemId"),
        operation=h.get("operation"),
        changed=tuple(h.get("changed", ())),
        requested=parse_date(h["requested"], "history.requested") if h.get("requested") else None,
    )


def _history(entries: Sequence[Mapping[str, Any]]) -> History:
    """Parsed when read (``History``): a change of an old order parses none of it."""
    return History(stored=entries, parse=history_entry)


def _parent(raw: Mapping[str, Any] | None) -> ParentRef | None:
    return None if raw is None else ParentRef(Kind(raw["kind"]), raw["orderId"], raw["itemId"])


def _milestones(raw: Iterable[Mapping[str, Any]]) -> list[Milestone]:
    out = []
    for m in raw:
        date = parse_date(m["milestoneDate"], "milestoneDate")
        assert date is not None
        out.append(Milestone(m["id"], m["name"], date, m.get("status"), m.get("description"), m.get("message")))
    return out


def _jeopardy(raw: Iterable[Mapping[str, Any]]) -> list[JeopardyAlert]:
    out = []
    for j in raw:
        date = parse_date(j["alertDate"], "alertDate")
        assert date is not None
        found = JeopardyAlert(j["id"], j["name"], date, j.get("jeopardyType"), j.get("exception"), j.get("message"))
        out.append(found)
    return out


def order_from_dict(doc: Mapping[str, Any]) -> Order:
    """Rebuild a stored order (trusted document written by ``order_to_dict``)."""
    order = Order(
        id=doc["id"],
        kind=Kind(doc["kind"]),
        client_id=doc["clientId"],
        order_type=doc["orderType"],
        items=parse_items(doc),
        state=State(doc["state"]),
        version=int(doc["version"]),
        priority=parse_priority(doc.get("priority")),
        notes=parse_notes(doc),
        related_parties=parse_parties(doc),
        relationships=parse_relationships(doc),
        history=_history(doc.get("history") or ()),
        state_before_cancellation=State(doc["stateBeforeCancellation"])
        if doc.get("stateBeforeCancellation")
        else None,
        parent=_parent(doc.get("parent")),
        milestones=_milestones(doc.get("milestones") or ()),
        jeopardy_alerts=_jeopardy(doc.get("jeopardyAlerts") or ()),
        data=client_data(doc, ORDER_FIELDS),
    )
    for key, attr in _DATE_ATTR.items():
        setattr(order, attr, parse_date(doc.get(key), key))
    for key, attr in _TEXT_ATTR.items():
        setattr(order, attr, doc.get(key))
    return order
