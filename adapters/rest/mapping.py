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
from functools import cache
from typing import Any

from adapters.rest.names import _tables
from adapters.rest.vocabulary import KINDS, TmfKind
from core.domain.model import Kind, Priority


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


@cache
def implied(tk: TmfKind) -> dict[str, dict[str, str]]:
    """Attributes the profile renders where the client gave none, per object (the TMF schemas
    require some, and they name the types).  Parsing drops them where they equal these, so a body
    read, changed and sent back says what the client said and nothing more."""
    return {
        "order": {"@baseType": tk.type_name},
        "item": {"@type": f"{tk.type_name}Item"},
        "entity": {"@type": _cap(tk.entity_key)},
        "specification": {"@type": _cap(tk.specification_key) + "Ref"},
        "party": {"@type": "RelatedParty", "@referredType": "Party"},
        "itemRef": {"@referredType": f"{tk.type_name}Item"},
    }


def _with(defaults: Mapping[str, str], doc: Mapping[str, Any]) -> dict[str, Any]:
    return {**defaults, **doc} if defaults.keys() - doc.keys() else dict(doc)


def _entity(tk: TmfKind, entity: Mapping[str, Any]) -> dict[str, Any]:
    out = _renamed(entity, _tables(tk)[1]["entity"])
    spec = out.get(tk.specification_key)
    if isinstance(spec, Mapping):
        out[tk.specification_key] = _with(implied(tk)["specification"], spec)
    return _with(implied(tk)["entity"], out)


def _item_relationship(tk: TmfKind, rel: Mapping[str, Any]) -> dict[str, Any]:
    names = _tables(tk)[1]["itemRelationship"]
    if not tk.item_ref_nested:
        return _renamed(rel, names)
    out = {names.get(k, k): v for k, v in rel.items() if k != "itemId"}
    # the TMF641/652 reference requires an id though it documents itemId: both are given
    ref = {"id": rel["itemId"], **(rel.get("orderItem") or {}), "itemId": rel["itemId"]}
    out["orderItem"] = _with(implied(tk)["itemRef"], ref)
    return out


def item_to_tmf(tk: TmfKind, item: Mapping[str, Any], base_url: str = "") -> dict[str, Any]:
    out = _renamed(item, _tables(tk)[1]["item"])
    children = out.pop("children", None)
    if children:  # the orders realizing the item (decomposition): an extension
        out["realizingOrder"] = [_order_ref(base_url, c) | {"part": c["part"]} for c in children]
    out[tk.entity_key] = _entity(tk, item.get("entity") or {})
    if "relationships" in item:
        out[tk.item_relationship_key] = [_item_relationship(tk, r) for r in item["relationships"]]
    if "items" in item:
        out[tk.item_key] = [item_to_tmf(tk, i, base_url) for i in item["items"]]
    return _with(implied(tk)["item"], out)


def _parties(tk: TmfKind, parties: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [_with(implied(tk)["party"], party) for party in parties]


def order_to_tmf(tk: TmfKind, doc: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The TMF representation of one canonical order document."""
    names = _tables(tk)[1]
    out: dict[str, Any] = {"id": doc["id"], "href": order_href(base_url, tk, doc["id"])}
    for key, value in doc.items():
        if key in _NOT_RENDERED:
            continue
        out[names["order"].get(key, key)] = value
    out["@type"] = doc.get("orderType") or tk.type_name
    out.setdefault("@baseType", implied(tk)["order"]["@baseType"])
    if tk.integer_priority:
        out["orderType"] = out["@type"]
    if "priority" in doc:
        out["priority"] = priority_to_tmf(tk, doc["priority"])
    if "notes" in doc:
        # TMF652 requires a note id: a note the client gave none is named by its position
        notes = [note if "id" in note else {"id": str(i + 1), **note} for i, note in enumerate(doc["notes"])]
        out["note"] = notes[-1] if tk.single_note else notes
    if "relatedParties" in doc:
        out["relatedParty"] = _parties(tk, doc["relatedParties"])
    if "relationships" in doc:
        out[tk.order_relationship_key] = [_renamed(r, names["orderRelationship"]) for r in doc["relationships"]]
    if "items" in doc:
        out[tk.item_key] = [item_to_tmf(tk, i, base_url) for i in doc["items"]]
    if "parent" in doc:
        out["parentOrder"] = _order_ref(base_url, doc["parent"]) | {"orderItemId": doc["parent"]["itemId"]}
    if "milestones" in doc:
        out["milestone"] = [{**m, "@type": f"{tk.type_name}Milestone"} for m in doc["milestones"]]
    if "jeopardyAlerts" in doc:
        out["jeopardyAlert"] = [{**j, "@type": f"{tk.type_name}JeopardyAlert"} for j in doc["jeopardyAlerts"]]
    return out


# kept by the gateway for itself, or rendered under other names below
_NOT_RENDERED = frozenset(
    {"id", "kind", "clientId", "version", "history", "stateBeforeCancellation", "parent"}
    | {"milestones", "jeopardyAlerts"}
)


def _order_ref(base_url: str, ref: Mapping[str, Any]) -> dict[str, Any]:
    """A reference to another order (decomposition: the one an order realizes, the ones realizing
    an item)."""
    other = KINDS[Kind(ref["kind"])]
    out = {"id": ref["orderId"], "href": order_href(base_url, other, ref["orderId"])} if "orderId" in ref else {}
    return out | {"@referredType": other.type_name}


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
