"""XML -> canonical: order values, items, query templates and filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from adapters.xml.clientdata import read_json_element, read_object
from adapters.xml.codec import (
    VALUE_ELEMENTS,
    by_name,
    child,
    children,
    key_from,
    local,
    priority_from_xml,
    state_from_xml,
    text_in,
    text_of,
)
from adapters.xml.model import ObjectType, model
from core.document.fields import (
    CHARACTERISTIC_FIELDS,
    DATE_FIELDS,
    ENTITY_FIELDS,
    ITEM_FIELDS,
    ITEM_RELATIONSHIP_FIELDS,
    ORDER_FIELDS,
    SPECIFICATION_FIELDS,
)
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind
from core.domain.query import Criterion, Op, OrderQuery, SortKey

_SIMPLE = (
    "orderType",
    "externalId",
    "stateReason",
    "clientId",
    "description",
    "category",
    *DATE_FIELDS,
    "cancellationReason",
)
_BOOL = {"true": True, "1": True, "false": False, "0": False}
# the elements of each level the typed code reads (beside the canonical names: list wrappers, key ...)
_ORDER_ELEMENTS = ORDER_FIELDS | {"key", "id"}
_ITEM_ELEMENTS = frozenset({"relationship", "child"})  # child: the gateway's record of the parts, not read
_ENTITY_ELEMENTS = frozenset({"characteristic"})


def _int(raw: str | None, attribute: str) -> int | None:
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise IllegalAttributeValue(attribute, f"{raw!r} is not an integer") from None


def _entity(el: etree._Element, levels: Mapping[str, ObjectType]) -> dict[str, Any]:
    e = by_name(el)
    entity: dict[str, Any] = read_object(el, levels["Entity"], ENTITY_FIELDS | _ENTITY_ELEMENTS)
    if (eid := text_in(e, "id")) is not None:
        entity["id"] = eid
    spec = e.get("specification")
    if spec is not None:
        s = by_name(spec)
        entity["specification"] = read_object(spec, levels["Specification"], SPECIFICATION_FIELDS) | {
            k: v for k in ("id", "name") if (v := text_in(s, k)) is not None
        }
    chars = []
    for c in children(el, "characteristic"):
        pair = by_name(c)
        value = pair.get("value")
        chars.append(
            {"name": text_in(pair, "name") or "", "value": None if value is None else read_json_element(value)}
            | read_object(c, levels["Characteristic"], CHARACTERISTIC_FIELDS)
        )
    if chars:
        entity["characteristics"] = chars
    return entity


def _item(el: etree._Element, levels: Mapping[str, ObjectType]) -> dict[str, Any]:
    f = by_name(el)
    item: dict[str, Any] = read_object(el, levels["Item"], ITEM_FIELDS | _ITEM_ELEMENTS)
    item |= {"id": text_in(f, "id"), "action": text_in(f, "action")}
    if (state := text_in(f, "state")) is not None:
        item["state"] = state_from_xml(state)
    if (reason := text_in(f, "stateReason")) is not None:
        item["stateReason"] = reason
    if (quantity := _int(text_in(f, "quantity"), "quantity")) is not None:
        item["quantity"] = quantity
    entity_el = f.get("entity")
    if entity_el is not None:
        item["entity"] = _entity(entity_el, levels)
    rels = []
    for r in children(el, "relationship"):
        rel = by_name(r)
        typed = {"type": text_in(rel, "type"), "itemId": text_in(rel, "itemId")}
        rels.append(read_object(r, levels["ItemRelationship"], ITEM_RELATIONSHIP_FIELDS) | typed)
    if rels:
        item["relationships"] = rels
    if (ponr := text_in(f, "pointOfNoReturn")) is not None:
        item["pointOfNoReturn"] = _BOOL.get(ponr.strip(), False)
    inner = f.get("items")
    if inner is not None:
        item["items"] = [_item(i, levels) for i in children(inner, "item")]
    return item


def _entries(
    found: dict[str, etree._Element], wrapper: str, name: str, fields: tuple[str, ...], level: ObjectType
) -> list[dict[str, Any]] | None:
    w = found.get(wrapper)
    if w is None:
        return None
    entries = []
    typed = frozenset(fields)
    for e in children(w, name):
        entry = by_name(e)
        data = read_object(e, level, typed)
        entries.append(data | {f: v for f in fields if (v := text_in(entry, f)) is not None})
    return entries


def order_value(el: etree._Element) -> tuple[Kind, str | None, int | None, dict[str, Any]]:
    """(kind, id or None, version or None, the other present elements as a canonical value)."""
    kind = VALUE_ELEMENTS.get(local(el))
    if kind is None:
        raise IllegalArgument(f"{local(el)} is not an order value")
    levels = model(kind).levels
    f = by_name(el)
    order_id = None
    key = f.get("key")
    if key is not None:
        key_kind, order_id = key_from(key)
        if key_kind is not kind:
            raise IllegalArgument(f"a {local(el)} cannot carry a {key_kind.value} key")
    value: dict[str, Any] = read_object(el, levels["Order"], _ORDER_ELEMENTS)
    for name in _SIMPLE:
        if (text := text_in(f, name)) is not None:
            value[name] = text
    if (state := text_in(f, "state")) is not None:
        value["state"] = state_from_xml(state)
    if (priority := text_in(f, "priority")) is not None:
        value["priority"] = priority_from_xml(priority)
    for wrapper, name, fields, level in (
        ("notes", "note", ("text", "author", "date"), "Note"),
        ("relatedParties", "relatedParty", ("id", "role", "name"), "Party"),
        ("relationships", "relationship", ("type", "orderId"), "OrderRelationship"),
    ):
        entries = _entries(f, wrapper, name, fields, levels[level])
        if entries is not None:
            value[wrapper] = entries
    items = f.get("items")
    if items is not None:
        value["items"] = [_item(i, levels) for i in children(items, "item")]
    for name in ("parent", "milestones", "jeopardyAlerts"):
        if name in f:
            value[name] = []  # the gateway's own: named, so the core says they are read-only
    return kind, order_id, _int(text_in(f, "version"), "version"), value


def value_elements(parent: etree._Element) -> list[etree._Element]:
    return [c for c in parent if local(c) in VALUE_ELEMENTS]


# ------------------------------------------------------------------ queries

_STATE_PATHS = {"state", "items.state"}


def _criterion(el: etree._Element) -> Criterion:
    path = text_of(el, "attribute") or ""
    try:
        op = Op(text_of(el, "operator") or "eq")
    except ValueError:
        raise IllegalArgument(f"unknown operator {text_of(el, 'operator')!r}") from None
    values = [v.text or "" for v in children(el, "value")]
    if path in _STATE_PATHS:
        values = [state_from_xml(v) for v in values]
    if path == "priority":
        values = [priority_from_xml(v) for v in values]
    return Criterion(path, op, tuple(values))


def _template(el: etree._Element) -> list[Criterion]:
    criteria = []
    key = child(el, "key")
    if key is not None and text_of(key, "primaryKey"):
        criteria.append(Criterion("id", Op.EQ, (text_of(key, "primaryKey") or "",)))
    for name in (
        "orderType",
        "externalId",
        "clientId",
        "description",
        "category",
        "orderDate",
        "requestedStartDate",
        "requestedCompletionDate",
    ):
        if (text := text_of(el, name)) is not None:
            criteria.append(Criterion(name, Op.EQ, (text,)))
    if (state := text_of(el, "state")) is not None:
        criteria.append(Criterion("state", Op.EQ, (state_from_xml(state),)))
    if (priority := text_of(el, "priority")) is not None:
        criteria.append(Criterion("priority", Op.EQ, (priority_from_xml(priority),)))
    return criteria


def order_query(
    query: etree._Element, attributes: tuple[str, ...] | None, offset: int, limit: int | None
) -> OrderQuery:
    kind_text = text_of(query, "kind")
    template = child(query, "template")
    criteria = (
        _template(template) if template is not None else [_criterion(f) for f in children(query, "filter")]
    )
    sort = tuple(
        SortKey(
            text_of(s, "attribute") or "", _BOOL.get((text_of(s, "descending") or "false").strip(), False)
        )
        for s in children(query, "sort")
    )
    return OrderQuery(
        kind=Kind.parse(kind_text) if kind_text else None,
        criteria=tuple(criteria),
        sort=sort,
        offset=offset,
        limit=limit,
        attributes=attributes,
    )
