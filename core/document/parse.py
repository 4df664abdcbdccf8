"""The canonical order document's parser: client values (validating) and stored documents (trusted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from core.document.fields import _DATE_ATTR, _TEXT_ATTR, ITEM_FIELDS
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

T = TypeVar("T")


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
