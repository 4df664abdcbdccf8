"""Canonical documents to zeep arguments and zeep results back, for the SOAP driver.

This is what any typed SOAP client does with the WSDL's types: states become
OSS/J strings, priorities OSS/J integers, lists their wrapper elements.  A
canonical value the WSDL cannot carry -- an order kind it has no element for,
a field it does not declare, a number where it declares a string, a list
that is not one -- is refused here, before anything is sent, as a typed
client refuses to build it: ``Unrepresentable`` carries the error kind the
gateway gives for the same mistake inside an envelope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.document.fields import DATE_FIELDS
from core.document.render import iso
from core.domain.model import Priority
from core.domain.states import State

KINDS = ("productOrder", "serviceOrder", "resourceOrder", "workOrder")
_TEXT = (
    "orderType",
    "externalId",
    "stateReason",
    "clientId",
    "description",
    "category",
    "cancellationReason",
)
_DATES = DATE_FIELDS
_LISTS = {
    "notes": ("note", ("text", "author", "date")),
    "relatedParties": ("relatedParty", ("id", "role", "name")),
    "relationships": ("relationship", ("type", "orderId")),
}
_FIELDS = {"id", "kind", "state", "version", "priority", "items", *_TEXT, *_DATES, *_LISTS}
_ITEM_FIELDS = {
    "id",
    "action",
    "state",
    "stateReason",
    "quantity",
    "entity",
    "relationships",
    "pointOfNoReturn",
}


class Unrepresentable(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _typed(value: Any, expected: type, name: str) -> Any:
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise Unrepresentable("illegalAttributeValue", f"{name}: the WSDL declares a {expected.__name__}")
    return value


def value_element(kind: str) -> str:
    if kind not in KINDS:
        raise Unrepresentable("illegalAttributeValue", f"the WSDL has no order value of kind {kind!r}")
    return f"{kind}Value"


def key(kind: str, order_id: str) -> dict[str, str]:
    return {"type": kind, "primaryKey": order_id}


def ossj_state(state: str) -> str:
    """The OSS/J name of a canonical state; anything else goes as written, for the gateway to judge."""
    return State(state).ossj if state in State._value2member_map_ else state


def _entity(entity: Any) -> dict[str, Any]:
    _typed(entity, dict, "entity")
    out: dict[str, Any] = {}
    if "id" in entity:
        out["id"] = _typed(entity["id"], str, "entity.id")
    if "specification" in entity:
        out["specification"] = dict(_typed(entity["specification"], dict, "entity.specification"))
    characteristics = _typed(entity.get("characteristics", {}), dict, "entity.characteristics")
    out["characteristic"] = [{"name": n, "value": _typed(v, str, n)} for n, v in characteristics.items()]
    return out


def _item(item: Any) -> dict[str, Any]:
    _typed(item, dict, "items[]")
    if set(item) - _ITEM_FIELDS:
        raise Unrepresentable("illegalArgument", f"no item element for {sorted(set(item) - _ITEM_FIELDS)}")
    out: dict[str, Any] = {k: _typed(item[k], str, k) for k in ("id", "action", "stateReason") if k in item}
    if "state" in item:
        out["state"] = ossj_state(_typed(item["state"], str, "state"))
    if "quantity" in item:
        out["quantity"] = _typed(item["quantity"], int, "quantity")
    if "entity" in item:
        out["entity"] = _entity(item["entity"])
    out["relationship"] = [dict(r) for r in _typed(item.get("relationships", []), list, "relationships")]
    if "pointOfNoReturn" in item:
        out["pointOfNoReturn"] = _typed(item["pointOfNoReturn"], bool, "pointOfNoReturn")
    return out


def order_value(doc: Any, kind: str, order_id: str | None = None) -> dict[str, Any]:
    """``{"<kind>Value": {...}}`` for a canonical (partial) order document."""
    element = value_element(kind)
    _typed(doc, dict, "order value")
    if set(doc) - _FIELDS:
        raise Unrepresentable("illegalArgument", f"no order element for {sorted(set(doc) - _FIELDS)}")
    out: dict[str, Any] = {k: _typed(doc[k], str, k) for k in (*_TEXT, *_DATES) if k in doc}
    order_id = order_id or doc.get("id")
    if order_id is not None:
        out["key"] = key(kind, _typed(order_id, str, "id"))
    if "version" in doc:
        out["version"] = _typed(doc["version"], int, "version")
    if "state" in doc:
        out["state"] = ossj_state(_typed(doc["state"], str, "state"))
    if "priority" in doc:
        name = _typed(doc["priority"], str, "priority")
        if name.upper() not in Priority.__members__:
            raise Unrepresentable("illegalAttributeValue", f"priority: no OSS/J priority for {name!r}")
        out["priority"] = Priority[name.upper()].ossj
    for field, (entry, _) in _LISTS.items():
        if field in doc:
            out[field] = {entry: [dict(e) for e in _typed(doc[field], list, field)]}
    if "items" in doc:
        out["items"] = {"item": [_item(i) for i in _typed(doc["items"], list, "items")]}
    return {element: out}


# ------------------------------------------------------------------ results back to canonical


def _plain(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def _item_document(item: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": item.id, "action": item.action}
    if item.state is not None:
        doc["state"] = State.from_ossj(item.state).value
    for name in ("stateReason", "quantity", "pointOfNoReturn"):
        if item[name] is not None:
            doc[name] = item[name]
    if item.entity is not None:
        entity: dict[str, Any] = {} if item.entity.id is None else {"id": item.entity.id}
        spec = item.entity.specification
        if spec is not None:
            entity["specification"] = {k: spec[k] for k in ("id", "name") if spec[k] is not None}
        if item.entity.characteristic:
            entity["characteristics"] = {c.name: c.value for c in item.entity.characteristic}
        doc["entity"] = entity
    if item.relationship:
        doc["relationships"] = [{"type": r.type, "itemId": r.itemId} for r in item.relationship]
    return doc


def document(value: Any) -> dict[str, Any]:
    """The canonical document of a zeep order value (only the elements it carries)."""
    doc: dict[str, Any] = {}
    if value.key is not None:
        doc["id"], doc["kind"] = value.key.primaryKey, value.key.type
    for name in (*_TEXT, *_DATES, "version"):
        if value[name] is not None:
            doc[name] = _plain(value[name])
    if value.state is not None:
        doc["state"] = State.from_ossj(value.state).value
    if value.priority is not None:
        doc["priority"] = Priority.from_ossj(value.priority).name.lower()
    for field, (entry, names) in _LISTS.items():
        if value[field] is not None:
            doc[field] = [{n: _plain(e[n]) for n in names if e[n] is not None} for e in value[field][entry]]
    if value["items"] is not None:
        doc["items"] = [_item_document(i) for i in value["items"].item]
    return doc


def chosen(entry: Any) -> Any:
    """The one order value of an AnyOrderValue choice (whichever kind it is)."""
    return next(entry[f"{kind}Value"] for kind in KINDS if entry[f"{kind}Value"] is not None)


def value_list(values: Any) -> list[Any]:
    """The entries of an OrderValueList, however zeep unwrapped it."""
    if values is None:
        return []
    return list(values) if isinstance(values, list) else list(values["_value_1"] or [])
