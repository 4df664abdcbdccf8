"""Canonical order document -> TMF JSON, per order kind.

The canonical document (``core.document``) is the only input: the REST
profile never looks at domain objects.  Typed attributes take their TMF
names back; client data is given back as the client sent it.  Every
rendered order carries ``id``, ``href``, ``@type`` (the order type) and
``@baseType``; items, entities and specifications get their TMF ``@type``
when the client gave none.  Attributes the TMF files lack but the gateway
has (``stateReason``, ``pointOfNoReturn``, ``orderRelationship`` on product
and resource orders, ``quantity`` on work order items) are rendered as
extensions under their canonical names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adapters.rest.names import _tables
from adapters.rest.vocabulary import TmfKind
from core.domain.model import Priority


def order_href(base_url: str, tk: TmfKind, order_id: str) -> str:
    return f"{base_url}{tk.collection_path}/{order_id}"


def priority_to_tmf(tk: TmfKind, name: str | None) -> str | int | None:
    if name is None:
        return None
    tmf = Priority[name.upper()].tmf
    return int(tmf) if tk.integer_priority else tmf


def _cap(name: str) -> str:
    return name[0].upper() + name[1:]


def _renamed(doc: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in doc.items()}


def _entity(tk: TmfKind, entity: Mapping[str, Any]) -> dict[str, Any]:
    out = _renamed(entity, _tables(tk)[1]["entity"])
    spec = out.get(tk.specification_key)
    if isinstance(spec, Mapping) and "@type" not in spec:
        out[tk.specification_key] = {**spec, "@type": _cap(tk.specification_key) + "Ref"}
    out.setdefault("@type", _cap(tk.entity_key))
    return out


def _item_relationship(tk: TmfKind, rel: Mapping[str, Any]) -> dict[str, Any]:
    names = _tables(tk)[1]["itemRelationship"]
    if not tk.item_ref_nested:
        return _renamed(rel, names)
    out = {names.get(k, k): v for k, v in rel.items() if k != "itemId"}
    ref = {"@referredType": f"{tk.type_name}Item", **(rel.get("orderItem") or {}), "itemId": rel["itemId"]}
    ref.setdefault("id", rel["itemId"])  # the TMF641/652 reference requires an id though it documents itemId
    out["orderItem"] = ref
    return out


def item_to_tmf(tk: TmfKind, item: Mapping[str, Any]) -> dict[str, Any]:
    out = _renamed(item, _tables(tk)[1]["item"])
    out[tk.entity_key] = _entity(tk, item.get("entity") or {})
    if "relationships" in item:
        out[tk.item_relationship_key] = [_item_relationship(tk, r) for r in item["relationships"]]
    if "items" in item:
        out[tk.item_key] = [item_to_tmf(tk, i) for i in item["items"]]
    out.setdefault("@type", f"{tk.type_name}Item")
    return out


def _parties(parties: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # TMF requires @type and @referredType; where the client gave none, the generic ones are given
    return [{**party, "@type": party.get("@type", "RelatedParty")} | _referred(party) for party in parties]


def _referred(party: Mapping[str, Any]) -> dict[str, Any]:
    return {"@referredType": party.get("@referredType", "Party")}


def order_to_tmf(tk: TmfKind, doc: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The TMF representation of one canonical order document."""
    names = _tables(tk)[1]
    out: dict[str, Any] = {"id": doc["id"], "href": order_href(base_url, tk, doc["id"])}
    for key, value in doc.items():
        if key in ("id", "kind", "clientId", "version", "history", "stateBeforeCancellation"):
            continue
        out[names["order"].get(key, key)] = value
    out["@type"] = doc.get("orderType") or tk.type_name
    out.setdefault("@baseType", tk.type_name)
    if tk.integer_priority:
        out["orderType"] = out["@type"]
    if "priority" in doc:
        out["priority"] = priority_to_tmf(tk, doc["priority"])
    if "notes" in doc:
        # TMF652 requires a note id: a note the client gave none is named by its position
        notes = [note if "id" in note else {"id": str(i + 1), **note} for i, note in enumerate(doc["notes"])]
        out["note"] = notes[-1] if tk.single_note else notes
    if "relatedParties" in doc:
        out["relatedParty"] = _parties(doc["relatedParties"])
    if "relationships" in doc:
        out[tk.order_relationship_key] = [_renamed(r, names["orderRelationship"]) for r in doc["relationships"]]
    if "items" in doc:
        out[tk.item_key] = [item_to_tmf(tk, i) for i in doc["items"]]
    return out


def select_fields(tmf: dict[str, Any], fields: frozenset[str] | None) -> dict[str, Any]:
    """TMF630 attribute selection by path (``fields=productOrderItem.productOffering``): id, href,
    @type and @baseType are always kept, and the id of every object kept below them."""
    if fields is None:
        return tmf
    tree: dict[str, Any] = {}
    for path in sorted(fields, key=len):
        node = tree
        *parents, last = path.split(".")
        for part in parents:
            if part in node and not node[part]:
                break
            node = node.setdefault(part, {})
        else:
            node[last] = {}
    out = _project(tmf, tree)
    return {**{k: tmf[k] for k in ("id", "href", "@type", "@baseType") if k in tmf}, **out}


def _project(value: Any, tree: dict[str, Any]) -> Any:
    if not tree:
        return value
    if isinstance(value, list):
        return [_project(v, tree) for v in value]
    if not isinstance(value, Mapping):
        return value
    out = {"id": value["id"]} if "id" in value else {}
    for key, sub in tree.items():
        if key in value:
            out[key] = _project(value[key], sub)
    return out


def history_to_tmf(tk: TmfKind, entry: Mapping[str, Any]) -> dict[str, Any]:
    names = _tables(tk)[1]["order"]
    changed = entry.get("changed")
    out = {
        "date": entry.get("at"),
        "actor": entry.get("actor"),
        "operation": entry.get("operation"),
        "fromState": entry.get("fromState"),
        "toState": entry.get("toState"),
        "reason": entry.get("reason"),
        "itemId": entry.get("itemId"),
        "changedAttribute": [names.get(c, c) for c in changed] if changed else None,
        "@type": "OrderStateHistory",
    }
    return {k: v for k, v in out.items() if v is not None}
