"""Canonical order documents <-> TMF JSON, on the client side of the REST profile (for tests).

Inputs are translated tolerantly: malformed canonical input must reach the
gateway malformed, to be refused there.
"""

from __future__ import annotations

from typing import Any

from adapters.rest.filters import attribute_paths, top_level_fields
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
    out = {k: v for k, v in entity.items() if k not in ("specification", "characteristics")}
    if "specification" in entity:
        out[tk.specification_key] = entity["specification"]
    chars = entity.get("characteristics")
    if chars is not None:
        out[tk.characteristic_key] = (
            [{"name": n, "value": v} for n, v in chars.items()] if isinstance(chars, dict) else chars
        )
    return out


def _tmf_item(tk: TmfKind, item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: v for k, v in item.items() if k not in ("entity", "relationships")}
    if "entity" in item:
        out[tk.entity_key] = _tmf_entity(tk, item["entity"])
    rels = item.get("relationships")
    if isinstance(rels, list):
        out[tk.item_relationship_key] = [
            {"relationshipType": r.get("type"), "orderItem": {"itemId": r.get("itemId")}}
            if tk.item_ref_nested
            else {"relationshipType": r.get("type"), "id": r.get("itemId")}
            for r in rels
        ]
    return out


def tmf_body(tk: TmfKind, value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    renamed = {"notes": "note", "relatedParties": "relatedParty", "orderType": "@type"}
    out: dict[str, Any] = {}
    for key, v in value.items():
        if key == "items":
            out[tk.item_key] = [_tmf_item(tk, i) for i in v] if isinstance(v, list) else v
        elif key == "priority":
            out["priority"] = _tmf_priority(tk, v)
        elif key == "relationships" and isinstance(v, list):
            out[tk.order_relationship_key] = [
                {"id": r.get("orderId"), "relationshipType": r.get("type")} for r in v
            ]
        else:
            out[renamed.get(key, key)] = v
    return out


def tmf_filters(tk: TmfKind, args: Args) -> list[tuple[str, str]]:
    to_tmf = {c: t for t, c in attribute_paths(tk).items() if t != "orderType"}
    params = []
    for path, op, values in args.get("criteria", []):
        name = to_tmf.get(path, path)
        if path == "priority":
            values = [_tmf_priority(tk, v) for v in values]
        params.append((name if op == "eq" else f"{name}.{op}", ",".join(str(v) for v in values)))
    if args.get("sort"):
        params.append(
            (
                "sort",
                ",".join(
                    ("-" if k.startswith("-") else "") + to_tmf.get(k.lstrip("-"), k.lstrip("-"))
                    for k in args["sort"]
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
    to_tmf = {c: t for t, c in top_level_fields(tk).items() if c is not None and t != "orderType"}
    return ",".join(to_tmf.get(a, a) for a in attributes)


# ---------------------------------------------------------------- TMF -> canonical


def canonical(tk: TmfKind, tmf: dict[str, Any], etag: str | None = None) -> dict[str, Any]:
    doc = order_value(tk, tmf)
    doc["kind"] = tk.resource
    if etag:
        doc["version"] = int(etag.strip('"'))
    return doc


def canonical_event(envelope: dict[str, Any]) -> dict[str, Any]:
    ((resource, order),) = envelope["event"].items()
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
