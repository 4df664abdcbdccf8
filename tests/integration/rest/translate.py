"""Canonical order documents <-> TMF JSON, on the client side of the REST profile (for tests).

Only the typed attributes change names on the way out (items, in items too;
entity, specification, characteristics; item relationships, whose item is
named under ``orderItem`` in TMF641/652 beside that reference's own client
data; order relationships; a work order's one note); client data goes as it
is, at every level.  Inputs are translated tolerantly: malformed canonical
input must reach the gateway malformed, to be refused there.  Replies are read
back with the REST profile's own renaming (``adapters.rest.parsing``).
"""

from __future__ import annotations

from typing import Any

from adapters.rest.names import dotted_tmf
from adapters.rest.parsing import order_value
from adapters.rest.vocabulary import KINDS, TmfKind
from core.domain.model import Kind, Priority

Args = dict[str, Any]


def _tmf_priority(tk: TmfKind, value: Any) -> Any:
    if isinstance(value, str) and value.upper() in Priority.__members__:
        tmf = Priority[value.upper()].tmf
        return int(tmf) if tk.integer_priority else tmf
    return value


def _tmf_entity(tk: TmfKind, entity: Any) -> Any:
    if not isinstance(entity, dict):
        return entity
    names = {"specification": tk.specification_key, "characteristics": tk.characteristic_key}
    return {names.get(k, k): v for k, v in entity.items()}


def _tmf_item_relationship(tk: TmfKind, rel: Any) -> Any:
    """``{type, itemId, ...}`` -> ``{relationshipType, id, ...}``, or with the item named in a nested
    ``orderItem`` reference (TMF641/652), beside the reference's own client data."""
    if not isinstance(rel, dict):
        return rel
    out = {k: v for k, v in rel.items() if k not in ("type", "itemId", "orderItem")}
    if "type" in rel:
        out["relationshipType"] = rel["type"]
    if not tk.item_ref_nested:
        return {**out, **({"id": rel["itemId"]} if "itemId" in rel else {})}
    ref = rel.get("orderItem") if isinstance(rel.get("orderItem"), dict) else {}
    out["orderItem"] = {**({"itemId": rel["itemId"]} if "itemId" in rel else {}), **ref}
    return out


def _tmf_item(tk: TmfKind, item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: v for k, v in item.items() if k not in ("entity", "relationships", "items")}
    if "entity" in item:
        out[tk.entity_key] = _tmf_entity(tk, item["entity"])
    rels = item.get("relationships")
    if rels is not None:
        out[tk.item_relationship_key] = (
            [_tmf_item_relationship(tk, r) for r in rels] if isinstance(rels, list) else rels
        )
    if "items" in item:
        out[tk.item_key] = _tmf_items(tk, item["items"])
    return out


def _tmf_items(tk: TmfKind, items: Any) -> Any:
    return [_tmf_item(tk, i) for i in items] if isinstance(items, list) else items


def _tmf_order_relationship(rel: Any) -> Any:
    if not isinstance(rel, dict):
        return rel
    names = {"orderId": "id", "type": "relationshipType"}
    return {names.get(k, k): v for k, v in rel.items()}


def _tmf_notes(tk: TmfKind, notes: Any) -> Any:
    """TMF697 has one note object, not a list: a single note goes as that object."""
    return notes[0] if tk.single_note and isinstance(notes, list) and len(notes) == 1 else notes


_ORDER_NAMES = {"notes": "note", "relatedParties": "relatedParty", "orderType": "@type"}


def tmf_body(tk: TmfKind, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    renamed = {**_ORDER_NAMES, "workOrderVersion": "version"}
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key == "items":
            out[tk.item_key] = _tmf_items(tk, v)
        elif key == "priority":
            out["priority"] = _tmf_priority(tk, v)
        elif key == "relationships" and isinstance(v, list):
            out[tk.order_relationship_key] = [_tmf_order_relationship(r) for r in v]
        elif key == "notes":
            out["note"] = _tmf_notes(tk, v)
        else:
            out[renamed.get(key, key)] = v
    return out


def _tmf_path(tk: TmfKind, path: str) -> str:
    return "orderType" if path == "orderType" and tk.integer_priority else dotted_tmf(tk, path.split("."))


def tmf_filters(tk: TmfKind, args: Args) -> list[tuple[str, str]]:
    params = []
    for path, op, values in args.get("criteria", []):
        name = _tmf_path(tk, path)
        if path == "priority":
            values = [_tmf_priority(tk, v) for v in values]
        params.append((name if op == "eq" else f"{name}.{op}", ",".join(str(v) for v in values)))
    if args.get("sort"):
        params.append(
            (
                "sort",
                ",".join(
                    ("-" if k.startswith("-") else "") + _tmf_path(tk, k.lstrip("-")) for k in args["sort"]
                ),
            )
        )
    for key in ("offset", "limit"):
        if args.get(key) is not None:
            params.append((key, str(args[key])))
    if args.get("attributes"):
        params.append(("fields", tmf_fields(tk, args["attributes"])))
    return params


def tmf_fields(tk: TmfKind, attributes: list[str]) -> str:
    return ",".join(_tmf_path(tk, a) for a in attributes)


# ---------------------------------------------------------------- TMF -> canonical


def canonical(tk: TmfKind, tmf: dict[str, Any], etag: str | None = None) -> dict[str, Any]:
    doc = order_value(tk, tmf)
    doc["kind"] = tk.resource
    if etag:
        doc["version"] = int(etag.strip('"'))
    return doc


def event_subjects(envelope: dict[str, Any]) -> set[str]:
    """The ids an event is about: its resource's, and for a cancel task's event, the order's."""
    ids = set()
    for name, resource in (envelope.get("event") or {}).items():
        ids.add(resource.get("id"))
        if name.startswith("cancel"):  # a cancel task names its order
            ids.update(v.get("id") for v in resource.values() if isinstance(v, dict) and "@referredType" in v)
    return ids


def canonical_event(envelope: dict[str, Any]) -> dict[str, Any]:
    ((resource, order),) = envelope["event"].items()
    task = next((tk for tk in KINDS.values() if tk.cancel_resource == resource), None)
    if task is not None:  # a cancel task's event: its state, in the core's words
        state = "acknowledged" if order["state"] == task.task_received_state else order["state"]
        return {"eventId": envelope["eventId"], "type": task.event_names[envelope["eventType"]].value, "taskState": state}
    tk = KINDS[Kind(resource)]
    return {
        "eventId": envelope["eventId"],
        "type": tk.event_names[envelope["eventType"]].value,
        "state": order.get("state"),
        "previousState": envelope.get("previousState"),
        "itemChanges": [
            {"itemId": c["id"], "previousState": c["previousState"], "state": c["state"]}
            for c in envelope.get("itemStateChange", [])
        ],
    }
