"""TMF JSON -> canonical order value, per order kind.

A pure renaming: TMF attribute names become the canonical document's names
and the core decides what may be set when (read-only attributes, content vs
annotations, feasibility).  What has no canonical counterpart is refused
with ``IllegalArgument`` naming it, so no client data is silently dropped;
only ``href``, ``@baseType``, ``@schemaLocation`` and ``@referredType`` (and
``@type`` on nested objects) are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adapters.rest.vocabulary import META, TmfKind
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Priority

# TMF order attribute -> canonical attribute, where only the name differs (or not even that)
_RENAMED = {
    "id": "id",
    "@type": "orderType",
    "externalId": "externalId",
    "description": "description",
    "category": "category",
    "state": "state",
    "stateReason": "stateReason",
    "orderDate": "orderDate",
    "requestedStartDate": "requestedStartDate",
    "requestedCompletionDate": "requestedCompletionDate",
    "expectedCompletionDate": "expectedCompletionDate",
    "startDate": "startDate",
    "completionDate": "completionDate",
    "cancellationDate": "cancellationDate",
    "cancellationReason": "cancellationReason",
}
_NESTED_META = META | {"@type"}


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IllegalAttributeValue(where, "must be a JSON object")
    return value


def _objects(value: Any, where: str) -> list[tuple[Mapping[str, Any], str]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise IllegalAttributeValue(where, "must be a JSON array")
    return [(_object(v, f"{where}[{i}]"), f"{where}[{i}]") for i, v in enumerate(value)]


def _refuse_unknown(obj: Mapping[str, Any], known: frozenset[str] | set[str], where: str) -> None:
    extra = sorted(set(obj) - set(known) - _NESTED_META)
    if extra:
        names = ", ".join(f"{where}.{k}" if where else k for k in extra)
        raise IllegalArgument(f"unsupported attribute(s): {names}")


def priority_from_tmf(tk: TmfKind, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "an integer" if tk.integer_priority else "a string"
        raise IllegalAttributeValue("priority", f"must be {kind} '0'..'4'")
    return Priority.from_tmf(str(value)).name.lower()


def _specification(raw: Any, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    spec = _object(raw, where)
    _refuse_unknown(spec, {"id", "name"}, where)
    return {k: spec[k] for k in ("id", "name") if k in spec}


def _characteristics(tk: TmfKind, raw: Any, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for char, at in _objects(raw, where):
        # valueType describes the value and id only names the entry: neither carries order data
        _refuse_unknown(char, {"name", "value", "valueType", "id"}, at)
        name = char.get("name")
        if not isinstance(name, str) or not name:
            raise IllegalAttributeValue(f"{at}.name", "is required")
        if name in out:
            raise IllegalAttributeValue(f"{at}.name", f"characteristic {name!r} appears twice")
        out[name] = char.get("value")
    return out


def _entity(tk: TmfKind, item: Mapping[str, Any], where: str) -> dict[str, Any]:
    raw = item.get(tk.entity_key)
    entity = {} if raw is None else _object(raw, f"{where}.{tk.entity_key}")
    at = f"{where}.{tk.entity_key}"
    _refuse_unknown(entity, {"id", tk.specification_key, tk.characteristic_key}, at)
    spec = _specification(entity.get(tk.specification_key), f"{at}.{tk.specification_key}")
    item_spec = _specification(item.get(tk.specification_key), f"{where}.{tk.specification_key}")
    if spec and item_spec and spec != item_spec:
        raise IllegalAttributeValue(
            f"{where}.{tk.specification_key}", f"differs from {at}.{tk.specification_key}"
        )
    out: dict[str, Any] = {"id": entity.get("id"), "specification": spec or item_spec}
    if tk.characteristic_key in entity:
        out["characteristics"] = _characteristics(
            tk, entity[tk.characteristic_key], f"{at}.{tk.characteristic_key}"
        )
    return {k: v for k, v in out.items() if v is not None}


def _item_relationship(
    tk: TmfKind, rel: Mapping[str, Any], where: str, order_id: str | None
) -> dict[str, Any]:
    if not tk.item_ref_nested:
        _refuse_unknown(rel, {"id", "relationshipType"}, where)
        return {"type": rel.get("relationshipType"), "itemId": rel.get("id")}
    _refuse_unknown(rel, {"id", "relationshipType", "orderItem"}, where)
    ref = _object(rel.get("orderItem", {}), f"{where}.orderItem")
    order_key = f"{tk.resource}Id"
    _refuse_unknown(ref, {"id", "itemId", order_key, f"{tk.resource}Href"}, f"{where}.orderItem")
    other = ref.get(order_key)
    if other is not None and other != order_id:
        raise IllegalAttributeValue(
            f"{where}.orderItem.{order_key}", "items of other orders cannot be related"
        )
    return {"type": rel.get("relationshipType"), "itemId": ref.get("itemId", ref.get("id", rel.get("id")))}


def _item(tk: TmfKind, item: Mapping[str, Any], where: str, order_id: str | None) -> dict[str, Any]:
    known = {"id", "action", "quantity", "state", "stateReason", "pointOfNoReturn", tk.entity_key}
    known |= {tk.item_relationship_key} | ({tk.specification_key} if tk.item_ref_nested else set())
    _refuse_unknown(item, known, where)
    out = {
        k: item[k]
        for k in ("id", "action", "quantity", "state", "stateReason", "pointOfNoReturn")
        if k in item
    }
    out["entity"] = _entity(tk, item, where)
    rels = _objects(item.get(tk.item_relationship_key), f"{where}.{tk.item_relationship_key}")
    if rels:
        out["relationships"] = [_item_relationship(tk, r, at, order_id) for r, at in rels]
    return out


def items_from_tmf(tk: TmfKind, raw: Any, order_id: str | None = None) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    return [_item(tk, i, at, order_id) for i, at in _objects(raw, tk.item_key)]


def _notes(tk: TmfKind, raw: Any) -> list[dict[str, Any]]:
    if tk.single_note and isinstance(raw, Mapping):
        raw = [raw]
    out = []
    for note, at in _objects(raw, "note"):
        _refuse_unknown(note, {"id", "text", "author", "date"}, at)
        out.append({k: note[k] for k in ("text", "author", "date") if k in note})
    return out


def _parties(raw: Any) -> list[dict[str, Any]]:
    out = []
    for party, at in _objects(raw, "relatedParty"):
        _refuse_unknown(party, {"id", "name", "role"}, at)
        out.append({k: party[k] for k in ("id", "name", "role") if k in party})
    return out


def _order_relationships(tk: TmfKind, raw: Any) -> list[dict[str, Any]]:
    out = []
    for rel, at in _objects(raw, tk.order_relationship_key):
        _refuse_unknown(rel, {"id", "relationshipType"}, at)
        out.append({"type": rel.get("relationshipType"), "orderId": rel.get("id")})
    return out


def order_value(tk: TmfKind, body: Any, order_id: str | None = None) -> dict[str, Any]:
    """The canonical value of a TMF create or patch body (names only; the core checks the rest)."""
    body = _object(body, tk.resource)
    order_id = order_id or (body.get("id") if isinstance(body.get("id"), str) else None)
    lists: dict[str, tuple[str, Callable[[Any], Any]]] = {
        "note": ("notes", lambda v: _notes(tk, v)),
        "relatedParty": ("relatedParties", _parties),
        tk.order_relationship_key: ("relationships", lambda v: _order_relationships(tk, v)),
        tk.item_key: ("items", lambda v: items_from_tmf(tk, v, order_id)),
        "priority": ("priority", lambda v: priority_from_tmf(tk, v)),
    }
    if tk.integer_priority:
        lists["orderType"] = ("orderType", lambda v: v)
    value: dict[str, Any] = {}
    unsupported = []
    for key, raw in body.items():
        if key in META:
            continue
        if key in lists:
            name, convert = lists[key]
            value[name] = convert(raw)
        elif key in _RENAMED:
            value[_RENAMED[key]] = raw
        else:
            unsupported.append(key)
    if unsupported:
        raise IllegalArgument(f"unsupported attribute(s): {', '.join(sorted(unsupported))}")
    if tk.integer_priority and "@type" in body and "orderType" in body and body["@type"] != body["orderType"]:
        raise IllegalAttributeValue("orderType", "differs from @type")
    return value
