"""Canonical order document -> TMF JSON, per order kind.

The canonical document (``core.document``) is the only input: the REST
profile never looks at domain objects.  Every rendered order carries ``id``,
``href``, ``@type`` (the order type) and ``@baseType`` (the kind's TMF type).
Attributes the TMF files lack but the gateway has (``stateReason``,
``pointOfNoReturn``, ``orderRelationship`` on product orders) are rendered as
extensions under their canonical names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.rest.vocabulary import TmfKind
from core.document.fields import DATE_FIELDS
from core.domain.model import Priority

# canonical scalar attribute -> TMF attribute (the same name in all four APIs)
SCALARS = (
    "externalId",
    "description",
    "category",
    "state",
    "stateReason",
    *DATE_FIELDS,
    "cancellationReason",
)


def order_href(base_url: str, tk: TmfKind, order_id: str) -> str:
    return f"{base_url}{tk.collection_path}/{order_id}"


def priority_to_tmf(tk: TmfKind, name: str | None) -> str | int | None:
    if name is None:
        return None
    tmf = Priority[name.upper()].tmf
    return int(tmf) if tk.integer_priority else tmf


def _cap(name: str) -> str:
    return name[0].upper() + name[1:]


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None and v != [] and v != {}}


def _specification(tk: TmfKind, spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not spec:
        return None
    return _drop_empty(
        {"id": spec.get("id"), "name": spec.get("name"), "@type": _cap(tk.specification_key) + "Ref"}
    )


def _entity(tk: TmfKind, entity: Mapping[str, Any]) -> dict[str, Any]:
    chars = entity.get("characteristics") or {}
    return _drop_empty(
        {
            "id": entity.get("id"),
            tk.specification_key: _specification(tk, entity.get("specification")),
            tk.characteristic_key: [{"name": n, "value": v} for n, v in chars.items()],
            "@type": _cap(tk.entity_key),
        }
    )


def _item_relationship(tk: TmfKind, rel: Mapping[str, Any]) -> dict[str, Any]:
    if tk.item_ref_nested:
        # The TMF641/652 item ref schema requires ``id`` though it documents ``itemId``: give both.
        ref = {"id": rel["itemId"], "itemId": rel["itemId"], "@referredType": f"{tk.type_name}Item"}
        return {"relationshipType": rel["type"], "orderItem": ref}
    return {"id": rel["itemId"], "relationshipType": rel["type"]}


def item_to_tmf(tk: TmfKind, item: Mapping[str, Any]) -> dict[str, Any]:
    return _drop_empty(
        {
            "id": item["id"],
            "action": item["action"],
            "quantity": item.get("quantity"),
            "state": item.get("state"),
            "stateReason": item.get("stateReason"),
            tk.entity_key: _entity(tk, item.get("entity") or {}),
            tk.item_relationship_key: [_item_relationship(tk, r) for r in item.get("relationships", [])],
            "pointOfNoReturn": item.get("pointOfNoReturn"),
            "@type": f"{tk.type_name}Item",
        }
    )


def _note(index: int, note: Mapping[str, Any]) -> dict[str, Any]:
    # TMF652 requires a note id; notes have none of their own, so their position serves.
    return _drop_empty(
        {
            "id": str(index + 1),
            "author": note.get("author"),
            "date": note.get("date"),
            "text": note["text"],
            "@type": "Note",
        }
    )


def _party(party: Mapping[str, Any]) -> dict[str, Any]:
    # The gateway keeps no party type; TMF requires @referredType, so the generic one is given.
    return _drop_empty(
        {
            "id": party["id"],
            "name": party.get("name"),
            "role": party.get("role"),
            "@type": "RelatedParty",
            "@referredType": "Party",
        }
    )


def order_to_tmf(tk: TmfKind, doc: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The TMF representation of one canonical order document."""
    out: dict[str, Any] = {
        "id": doc["id"],
        "href": order_href(base_url, tk, doc["id"]),
        "@type": doc.get("orderType") or tk.type_name,
        "@baseType": tk.type_name,
    }
    if tk.integer_priority:
        out["orderType"] = out["@type"]
    for key in SCALARS:
        if doc.get(key) is not None:
            out[key] = doc[key]
    out["priority"] = priority_to_tmf(tk, doc.get("priority"))
    notes = [_note(i, n) for i, n in enumerate(doc.get("notes", []))]
    out["note"] = (notes[-1] if notes else None) if tk.single_note else notes
    out["relatedParty"] = [_party(p) for p in doc.get("relatedParties", [])]
    out[tk.order_relationship_key] = [
        {"id": r["orderId"], "relationshipType": r["type"]} for r in doc.get("relationships", [])
    ]
    out[tk.item_key] = [item_to_tmf(tk, i) for i in doc.get("items", [])]
    return _drop_empty(out)


def select_fields(tmf: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """TMF630 attribute selection: id, href, @type and @baseType are always kept."""
    if fields is None:
        return tmf
    keep = fields | {"id", "href", "@type", "@baseType"}
    return {k: v for k, v in tmf.items() if k in keep}


def history_to_tmf(entry: Mapping[str, Any]) -> dict[str, Any]:
    return _drop_empty(
        {
            "date": entry.get("at"),
            "actor": entry.get("actor"),
            "operation": entry.get("operation"),
            "fromState": entry.get("fromState"),
            "toState": entry.get("toState"),
            "reason": entry.get("reason"),
            "itemId": entry.get("itemId"),
            "@type": "OrderStateHistory",
        }
    )
