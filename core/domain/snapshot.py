"""The canonical order document: one dict form of an order, and its parser.

Adapters translate their own wire form (TMF JSON, XML) to and from this
document, and the core validates it here, once, so every profile rejects the
same input with the same error.  The persistence adapter stores the same
document.  Keys are the DESIGN's canonical camelCase names; dates are ISO 8601
strings; priority is its canonical name (``high``); states are canonical (TMF)
names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import (
    EntityRef,
    HistoryEntry,
    ItemAction,
    ItemRelationship,
    Kind,
    Note,
    Order,
    OrderItem,
    OrderRelationship,
    Priority,
    RelatedParty,
    SpecificationRef,
)
from core.domain.states import ITEM_STATES, State

DATE_FIELDS = (
    "orderDate",
    "requestedStartDate",
    "requestedCompletionDate",
    "expectedCompletionDate",
    "startDate",
    "completionDate",
    "cancellationDate",
)
_DATE_ATTR = {
    "orderDate": "order_date",
    "requestedStartDate": "requested_start_date",
    "requestedCompletionDate": "requested_completion_date",
    "expectedCompletionDate": "expected_completion_date",
    "startDate": "start_date",
    "completionDate": "completion_date",
    "cancellationDate": "cancellation_date",
}
_TEXT_ATTR = {
    "externalId": "external_id",
    "description": "description",
    "category": "category",
    "stateReason": "state_reason",
    "cancellationReason": "cancellation_reason",
}
ORDER_FIELDS = frozenset(
    {"id", "kind", "clientId", "orderType", "state", "version", "priority", "items", "notes"}
    | {"relatedParties", "relationships", "history", "stateBeforeCancellation"}
    | set(DATE_FIELDS)
    | set(_TEXT_ATTR)
)
ITEM_FIELDS = frozenset(
    {"id", "action", "state", "stateReason", "quantity", "entity", "relationships"} | {"pointOfNoReturn"}
)

T = TypeVar("T")


# ---------------------------------------------------------------- to dict


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


# ---------------------------------------------------------------- from dict


def _typed(doc: Mapping[str, Any], key: str, kind: type[T], where: str) -> T | None:
    value = doc.get(key)
    if value is None:
        return None
    if kind is int and isinstance(value, bool):
        raise IllegalAttributeValue(f"{where}{key}", "must be an integer")
    if kind is int and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)  # type: ignore[return-value]
    if not isinstance(value, kind):
        raise IllegalAttributeValue(f"{where}{key}", f"must be {_TYPE_NAMES.get(kind, kind.__name__)}")
    return value


# Characters XML 1.0 cannot carry: a text holding one could not be answered or
# announced by the XML profiles, so no profile accepts it from a client.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_text(value: Any, where: str = "") -> None:
    """IllegalAttributeValue when a client's value (a text, or any text inside a map or list)
    holds characters XML cannot carry.  Client input only: stored documents are not re-judged."""
    if _carried(value):
        return  # the usual case, without building a name for every node
    if isinstance(value, str):
        raise IllegalAttributeValue(where or "value", "holds control characters that XML cannot carry")
    if isinstance(value, Mapping):
        for key, inner in value.items():
            name = f"{where}.{key}" if where else str(key)
            check_text(key, name)
            check_text(inner, name)
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            check_text(inner, f"{where}[{i}]")


def _carried(value: Any) -> bool:
    texts: list[str] = []
    _texts(value, texts)
    return NOT_XML.search("".join(texts)) is None  # one search over all of them


def _texts(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list | tuple):
        for inner in value:
            _texts(inner, out)
    elif isinstance(value, dict | Mapping):  # dict first: the ABC check only for other values
        for key, inner in value.items():
            _texts(key, out)
            _texts(inner, out)


# the wire's words for a type, not Python's
_TYPE_NAMES: dict[type, str] = {str: "a string", int: "an integer", bool: "true or false"}


def _text(doc: Mapping[str, Any], key: str, where: str = "") -> str | None:
    return _typed(doc, key, str, where)


def parse_date(value: Any, attribute: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise IllegalAttributeValue(attribute, f"{value!r} is not an ISO 8601 date-time") from None
    else:
        raise IllegalAttributeValue(attribute, "must be an ISO 8601 date-time string")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _list(doc: Mapping[str, Any], key: str, where: str, parse: Callable[[Any, str], T]) -> list[T]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise IllegalAttributeValue(f"{where}{key}", "must be a list")
    out = []
    for i, element in enumerate(value):
        at = f"{where}{key}[{i}]"
        if not isinstance(element, Mapping):
            raise IllegalAttributeValue(at, "must be an object")
        out.append(parse(element, at + "."))
    return out


def _require(value: T | None, attribute: str) -> T:
    if value is None or value == "":
        raise IllegalAttributeValue(attribute, "is required")
    return value


def _unknown_keys(doc: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(set(doc) - allowed)
    if extra:
        raise IllegalArgument(f"unknown attribute(s) {', '.join(where + e for e in extra)}")


def parse_state(value: Any, attribute: str, *, item: bool = False) -> State:
    if not isinstance(value, str):
        raise IllegalAttributeValue(attribute, "must be a state name")
    try:
        state = State(value)
    except ValueError:
        raise IllegalAttributeValue(attribute, f"unknown state {value!r}") from None
    if item and state not in ITEM_STATES:
        raise IllegalAttributeValue(attribute, f"{value!r} is not an item state")
    return state


def parse_priority(value: Any) -> Priority | None:
    if value is None:
        return None
    if isinstance(value, str) and value.upper() in Priority.__members__:
        return Priority[value.upper()]
    raise IllegalAttributeValue("priority", f"unknown priority {value!r}")


def _characteristics(raw: Any, where: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise IllegalAttributeValue(f"{where}characteristics", "must be a name -> value map")
    out = []
    for name, value in raw.items():
        if not isinstance(value, str | int | float | bool):
            raise IllegalAttributeValue(f"{where}characteristics.{name}", "must be a scalar value")
        out.append((str(name), value if isinstance(value, str) else str(value)))
    return tuple(out)


def _entity(raw: Any, where: str) -> EntityRef:
    if raw is None:
        return EntityRef()
    if not isinstance(raw, Mapping):
        raise IllegalAttributeValue(f"{where}entity", "must be an object")
    _unknown_keys(raw, frozenset({"id", "specification", "characteristics"}), f"{where}entity.")
    spec_raw = raw.get("specification")
    spec = None
    if spec_raw is not None:
        if not isinstance(spec_raw, Mapping):
            raise IllegalAttributeValue(f"{where}entity.specification", "must be an object")
        spec = SpecificationRef(
            _text(spec_raw, "id", f"{where}entity.specification."),
            _text(spec_raw, "name", f"{where}entity.specification."),
        )
    return EntityRef(
        _text(raw, "id", f"{where}entity."),
        spec,
        _characteristics(raw.get("characteristics"), f"{where}entity."),
    )


# The XML vocabulary's xs:int: a quantity every profile can carry.
MAX_QUANTITY = 2**31 - 1


def parse_item(doc: Mapping[str, Any], where: str) -> OrderItem:
    _unknown_keys(doc, ITEM_FIELDS, where)
    action = _require(_text(doc, "action", where), f"{where}action")
    try:
        item_action = ItemAction(action)
    except ValueError:
        raise IllegalAttributeValue(f"{where}action", f"unknown action {action!r}") from None
    quantity = _typed(doc, "quantity", int, where)
    if quantity is not None and not 1 <= quantity <= MAX_QUANTITY:
        raise IllegalAttributeValue(f"{where}quantity", f"must be from 1 to {MAX_QUANTITY}")
    state = doc.get("state")
    return OrderItem(
        id=_require(_text(doc, "id", where), f"{where}id"),
        action=item_action,
        entity=_entity(doc.get("entity"), where),
        state=State.ACKNOWLEDGED if state is None else parse_state(state, f"{where}state", item=True),
        state_reason=_text(doc, "stateReason", where),
        quantity=1 if quantity is None else quantity,
        relationships=tuple(
            ItemRelationship(
                _require(_text(r, "type", w), f"{w}type"), _require(_text(r, "itemId", w), f"{w}itemId")
            )
            for r, w in _raw_list(doc, "relationships", where)
        ),
        point_of_no_return=bool(doc.get("pointOfNoReturn", False)),
    )


def _raw_list(doc: Mapping[str, Any], key: str, where: str) -> list[tuple[Mapping[str, Any], str]]:
    return _list(doc, key, where, lambda element, at: (element, at))


def parse_items(doc: Mapping[str, Any]) -> list[OrderItem]:
    items = _list(doc, "items", "", parse_item)
    seen: set[str] = set()
    for it in items:
        if it.id in seen:
            raise IllegalAttributeValue("items", f"item id {it.id!r} appears twice")
        seen.add(it.id)
    return items


def parse_notes(doc: Mapping[str, Any]) -> list[Note]:
    return _list(
        doc,
        "notes",
        "",
        lambda n, w: Note(
            _require(_text(n, "text", w), f"{w}text"),
            _text(n, "author", w),
            parse_date(n.get("date"), f"{w}date"),
        ),
    )


def parse_parties(doc: Mapping[str, Any]) -> list[RelatedParty]:
    return _list(
        doc,
        "relatedParties",
        "",
        lambda p, w: RelatedParty(
            _require(_text(p, "id", w), f"{w}id"), _text(p, "role", w), _text(p, "name", w)
        ),
    )


def parse_relationships(doc: Mapping[str, Any]) -> list[OrderRelationship]:
    return _list(
        doc,
        "relationships",
        "",
        lambda r, w: OrderRelationship(
            _require(_text(r, "type", w), f"{w}type"), _require(_text(r, "orderId", w), f"{w}orderId")
        ),
    )


def _history(doc: Mapping[str, Any]) -> list[HistoryEntry]:
    out = []
    for h in doc.get("history") or []:
        at = parse_date(h["at"], "history.at")
        assert at is not None
        out.append(
            HistoryEntry(
                at=at,
                actor=h["actor"],
                from_state=State(h["fromState"]) if h.get("fromState") else None,
                to_state=State(h["toState"]),
                reason=h.get("reason"),
                item_id=h.get("itemId"),
                operation=h.get("operation"),
            )
        )
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
        history=_history(doc),
        state_before_cancellation=State(doc["stateBeforeCancellation"])
        if doc.get("stateBeforeCancellation")
        else None,
    )
    for key, attr in _DATE_ATTR.items():
        setattr(order, attr, parse_date(doc.get(key), key))
    for key, attr in _TEXT_ATTR.items():
        setattr(order, attr, doc.get(key))
    return order
