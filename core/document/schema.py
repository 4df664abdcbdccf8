"""The canonical document's schema, one per order kind, built once from the official TMF files.

The canonical document is the TMF order with the typed attributes renamed
to kind-neutral names (``productOrderItem`` -> ``items``, ``product`` ->
``entity``, ``productSpecification`` -> ``specification`` ...; see
``CANONICAL_NAMES``) and every other attribute kept under its TMF name, so
its schema is the official one, renamed: the official definitions made
strict (an attribute no definition names is refused) and relaxed only where
``core.document.relaxations`` says, with the typed attributes bounded as
``core.document.limits`` says.  It is compiled with jsonschema-rs (the
fastest of the validators measured, see docs/benchmarks.md).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from typing import Any

import jsonschema_rs

from core.document import limits, relaxations
from core.document.tmf import API, TmfApi
from core.domain.model import ItemAction, Kind, Priority
from core.domain.states import ITEM_STATES

Schema = dict[str, Any]
OWN = "ordergate."  # prefix of the canonical definitions, beside the official ones

# TMF order attribute -> canonical name, where the gateway reasons about it under another name
# (the item list, notes, parties and relationships are added per kind in ``renames``)
ORDER_RENAMES = {"@type": "orderType", "version": "workOrderVersion"}

_ID = {"type": "string", "minLength": 1, "maxLength": limits.MAX_ID, "pattern": r"^[^\s/?#%\\]+$"}
_NAME = {"type": "string", "maxLength": limits.MAX_NAME}
_TEXT = {"type": "string", "maxLength": limits.MAX_TEXT}
_DATE = {"type": "string", "format": "date-time"}


def _list(item: Schema, max_items: int = limits.MAX_LIST, min_items: int = 0) -> Schema:
    out: Schema = {"type": "array", "items": item, "maxItems": max_items}
    if min_items:
        out["minItems"] = min_items
    return out


def _ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


def strict_definitions(api: TmfApi) -> dict[str, Schema]:
    """The official definitions, strict (``additionalProperties: false``) and relaxed as documented."""
    defs: dict[str, Schema] = copy.deepcopy(api.definitions)
    relaxations.apply(api.api, defs)
    for d in defs.values():
        if "properties" in d:
            d["additionalProperties"] = False
            if not d.get("required"):
                d.pop("required", None)
            for prop in d["properties"].values():
                if prop.get("type") == "array":
                    prop["maxItems"] = limits.MAX_LIST
    return defs


def renames(api: TmfApi) -> dict[str, dict[str, str]]:
    """Per level of the canonical document: TMF attribute name -> canonical name."""
    order = {
        **ORDER_RENAMES,
        "note": "notes",
        "relatedParty": "relatedParties",
        api.order_relationship_key: "relationships",
        api.item_key: "items",
    }
    if api.integer_priority:
        order["orderType"] = "orderType"
    item_relationship = {"relationshipType": "type"}
    if not api.item_ref_nested:
        item_relationship["id"] = "itemId"
    return {
        "order": order,
        "item": {
            api.entity_key: "entity",
            api.item_relationship_key: "relationships",
            api.item_key: "items",
        },
        "entity": {api.specification_key: "specification", api.characteristic_key: "characteristics"},
        "orderRelationship": {"relationshipType": "type", "id": "orderId"},
        "itemRelationship": item_relationship,
    }


def _renamed(definition: Schema, names: dict[str, str], typed: dict[str, Schema]) -> Schema:
    """A definition with attributes renamed, the typed ones replaced by the canonical schema."""
    props = {names.get(k, k): v for k, v in definition.get("properties", {}).items()}
    props.update(typed)
    out: Schema = {"type": "object", "properties": props, "additionalProperties": False}
    required = [names.get(r, r) for r in definition.get("required", [])]
    if required:
        out["required"] = required
    return out


def _order_definition(api: TmfApi, defs: dict[str, Schema]) -> Schema:
    name = api.type_name
    props = {**defs[f"{name}_Create"]["properties"], **defs[f"{name}_Update"]["properties"]}
    for server_owned in ("state", "orderDate", "completionDate", "id", "href"):
        props.pop(server_owned, None)
    typed: dict[str, Schema] = {
        "id": _ID,
        "orderType": _NAME,
        "externalId": _NAME,
        "description": _TEXT,
        "category": _NAME,
        "priority": {"enum": [p.name.lower() for p in Priority]},
        "requestedStartDate": _DATE,
        "requestedCompletionDate": _DATE,
        "expectedCompletionDate": _DATE,
        "startDate": _DATE,
        "cancellationDate": _DATE,
        "cancellationReason": _TEXT,
        "notes": _list(_ref(OWN + "Note")),
        "relatedParties": _list(_ref(OWN + "Party")),
        "relationships": _list(_ref(OWN + "OrderRelationship")),
        "items": _list(_ref(OWN + "Item"), limits.MAX_ITEMS, min_items=1),
    }
    return _renamed({"properties": props}, renames(api)["order"], typed)


def _order_relationship(api: TmfApi, defs: dict[str, Schema]) -> Schema:
    if api.order_relationship_def is not None:
        official = defs[api.order_relationship_def]
    else:  # our extension on product and resource orders: the shape TMF641 gives it
        official = copy.deepcopy(API[Kind.SERVICE].definitions["ServiceOrderRelationship"])
        relaxations.apply(api.api, {"x": official})
    typed = {"type": _NAME, "orderId": _ID}
    out = _renamed(official, renames(api)["orderRelationship"], typed)
    out["required"] = ["type", "orderId"]
    return out


def _item_relationship(api: TmfApi, defs: dict[str, Schema]) -> Schema:
    typed = {"type": _NAME, "itemId": _ID}
    out = _renamed(defs[api.item_relationship_def], renames(api)["itemRelationship"], typed)
    out["required"] = ["type", "itemId"]
    return out


def _item(api: TmfApi, defs: dict[str, Schema]) -> Schema:
    typed: dict[str, Schema] = {
        "id": _ID,
        "action": {"enum": [a.value for a in ItemAction]},
        "state": {"enum": sorted(s.value for s in ITEM_STATES)},
        "stateReason": _TEXT,
        "quantity": {"type": "integer", "minimum": 1, "maximum": limits.MAX_QUANTITY},
        "pointOfNoReturn": {"type": "boolean"},
        "entity": _ref(OWN + "Entity"),
        "relationships": _list(_ref(OWN + "ItemRelationship")),
        "items": _list(_ref(OWN + "Item"), limits.MAX_ITEMS),
    }
    out = _renamed(defs[api.item_def], renames(api)["item"], typed)
    # the core reasons about every item's id and action, whether or not the kind's file says so
    # (TMF652 requires neither: an item without them was a 500)
    out["required"] = sorted({*out.get("required", ()), "id", "action"})
    return out


def _entity(api: TmfApi, defs: dict[str, Schema]) -> Schema:
    typed = {
        "id": _ID,
        "specification": _ref(OWN + "Specification"),
        "characteristics": _list(_ref(OWN + "Characteristic")),
    }
    return _renamed(defs[api.entity_def], renames(api)["entity"], typed)


def canonical_schema(api: TmfApi) -> Schema:
    """The JSON schema of a client's order value of this kind, in canonical names."""
    defs = strict_definitions(api)
    own = {
        "Order": _order_definition(api, defs),
        "Item": _item(api, defs),
        "Entity": _entity(api, defs),
        "Specification": _renamed(defs[api.specification_def], {}, {"id": _ID, "name": _NAME}),
        "Characteristic": _renamed(defs["Characteristic"], {}, {"name": _NAME, "value": {}}),
        "Party": _renamed(defs["RelatedParty"], {}, {"id": _ID, "role": _NAME, "name": _NAME}),
        "Note": _renamed(defs["Note"], {}, {"text": _TEXT, "author": _NAME, "date": _DATE}),
        "OrderRelationship": _order_relationship(api, defs),
        "ItemRelationship": _item_relationship(api, defs),
    }
    definitions = {**defs, **{OWN + name: d for name, d in own.items()}}
    return {"$ref": f"#/definitions/{OWN}Order", "definitions": definitions}


@cache
def create_offers(kind: Kind) -> frozenset[str]:
    """The lifecycle records (startDate, cancellation ...) the kind's official create schema lets a
    client give: taken as the client's own account until the lifecycle writes them."""
    api = API[kind]
    offered = api.definitions[f"{api.type_name}_Create"]["properties"]
    return frozenset(name for name in ("startDate", "cancellationDate", "cancellationReason") if name in offered)


@cache
def validator(kind: Kind) -> Any:
    """The compiled validator of a kind's canonical order value (built on first use, then kept)."""
    return jsonschema_rs.Draft4Validator(canonical_schema(API[kind]), validate_formats=True)


def errors(kind: Kind, value: Any) -> Iterator[Any]:
    """jsonschema-rs errors of a value (nothing when it is valid: the fast path asks only that)."""
    v = validator(kind)
    if v.is_valid(value):
        return iter(())
    return iter(v.iter_errors(value))
