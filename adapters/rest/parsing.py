"""TMF JSON -> canonical order value, per order kind.

A renaming only: the typed attributes take their canonical names
(``core.document.schema.renames``), every other attribute is passed on as
it was sent, and the core checks the value against the kind's schema.  The
body itself was checked against the official TMF schema first
(``adapters.rest.validation``), so the TMF path of every problem is named.
``href`` on the order describes the document, and is not kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.rest.mapping import implied
from adapters.rest.names import _tables
from adapters.rest.vocabulary import TmfKind
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Priority


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise IllegalAttributeValue(where, "must be a JSON object")
    return value


def priority_from_tmf(tk: TmfKind, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        kind = "an integer" if tk.integer_priority else "a string"
        raise IllegalAttributeValue("priority", f"must be {kind} '0'..'4'")
    return Priority.from_tmf(str(value)).name.lower()


def _renamed(raw: Mapping[str, Any], names: Mapping[str, str], implied: Mapping[str, str] = {}) -> dict[str, Any]:
    """Renamed, without the attributes that only repeat what the profile renders by default."""
    return {names.get(k, k): v for k, v in raw.items() if k not in implied or implied[k] != v}


def _list(raw: Any, convert: Any) -> Any:
    return [convert(v) if isinstance(v, Mapping) else v for v in raw] if isinstance(raw, list) else raw


def _item_relationship(tk: TmfKind, raw: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    out = _renamed(raw, names)
    ref = raw.get("orderItem")
    if tk.item_ref_nested and isinstance(ref, Mapping):
        item_id = out["itemId"] = ref.get("itemId", ref.get("id"))
        implied_ref = {**implied(tk)["itemRef"], "id": item_id}
        rest = {k: v for k, v in ref.items() if k != "itemId" and (k not in implied_ref or implied_ref[k] != v)}
        if rest:
            out["orderItem"] = rest
        else:
            del out["orderItem"]
    return out


def _entity(tk: TmfKind, raw: Mapping[str, Any]) -> dict[str, Any]:
    out = _renamed(raw, _tables(tk)[0]["entity"], implied(tk)["entity"])
    if isinstance(out.get("specification"), Mapping):
        out["specification"] = _renamed(out["specification"], {}, implied(tk)["specification"])
    return out


def _item(tk: TmfKind, raw: Mapping[str, Any]) -> dict[str, Any]:
    names = _tables(tk)[0]
    out = _renamed(raw, names["item"], implied(tk)["item"])
    out.pop("realizingOrder", None)  # the gateway's own record of the item's parts
    if isinstance(out.get("entity"), Mapping):
        out["entity"] = _entity(tk, out["entity"])
    if "relationships" in out:
        out["relationships"] = _list(
            out["relationships"], lambda r: _item_relationship(tk, r, names["itemRelationship"])
        )
    if "items" in out:
        out["items"] = _list(out["items"], lambda i: _item(tk, i))
    return out


def items_from_tmf(tk: TmfKind, raw: Any) -> Any:
    return _list(raw, lambda i: _item(tk, i))


def order_value(tk: TmfKind, body: Any, order_id: str | None = None) -> dict[str, Any]:
    """The canonical value of a TMF create or patch body (names only; the core checks the rest)."""
    body = _object(body, tk.resource)
    names = _tables(tk)[0]
    if tk.integer_priority and "@type" in body and "orderType" in body and body["@type"] != body["orderType"]:
        raise IllegalAttributeValue("orderType", "differs from @type")
    value = _renamed({k: v for k, v in body.items() if k != "href"}, names["order"], implied(tk)["order"])
    if "priority" in value:
        value["priority"] = priority_from_tmf(tk, value["priority"])
    if tk.single_note and isinstance(value.get("notes"), Mapping):
        value["notes"] = [value["notes"]]
    if isinstance(value.get("notes"), list):  # a note's position is the id it is rendered with
        value["notes"] = [
            _renamed(n, {}, {"id": str(i + 1)}) if isinstance(n, Mapping) else n for i, n in enumerate(value["notes"])
        ]
    if isinstance(value.get("relatedParties"), list):
        value["relatedParties"] = _list(value["relatedParties"], lambda p: _renamed(p, {}, implied(tk)["party"]))
    if "relationships" in value:
        value["relationships"] = _list(value["relationships"], lambda r: _renamed(r, names["orderRelationship"]))
    if "items" in value:
        value["items"] = items_from_tmf(tk, value["items"])
    foreign = sorted(_foreign_references(tk, value, order_id or body.get("id")))
    if foreign:
        raise IllegalArgument(f"items of other orders cannot be related: {', '.join(foreign)}")
    return value


def _foreign_references(tk: TmfKind, value: Mapping[str, Any], order_id: Any) -> set[str]:
    """Item relationships that point into another order (``orderItem.<kind>Id``)."""
    key = f"{tk.resource}Id"
    found = set()
    stack = list(value.get("items") or ()) if isinstance(value.get("items"), list) else []
    while stack:
        item = stack.pop()
        if not isinstance(item, Mapping):
            continue
        stack.extend(item.get("items") or () if isinstance(item.get("items"), list) else ())
        for rel in item.get("relationships") or () if isinstance(item.get("relationships"), list) else ():
            ref = rel.get("orderItem") if isinstance(rel, Mapping) else None
            other = ref.get(key) if isinstance(ref, Mapping) else None
            if other is not None and other != order_id:
                found.add(str(other))
    return found
