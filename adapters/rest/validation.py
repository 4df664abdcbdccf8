"""Request bodies checked against the official TMF definitions, every problem named by its TMF path.

A create body is checked against the kind's ``*_Create`` definition, a PATCH
body against ``*_Update``, both made strict and relaxed as
``core.document.relaxations`` says, with the gateway's documented extensions
(a client-chosen ``id``, ``pointOfNoReturn`` on items, ``orderRelationship``
where the API lacks it, ``quantity`` on work order items).  Two further
relaxations are the REST profile's own: a PATCH may change what the create
schema offers too (the TMF641 update schema leaves out ``category`` ...: the
core's modification rules decide what may change when), and a merge patch
requires nothing.  Attributes the kind's order has but a client may not set
(``state``, ``orderDate`` ...) are named as set by the server.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import jsonschema_rs

from adapters.rest.vocabulary import TmfKind
from core.document.check import problems_of
from core.document.schema import strict_definitions
from core.domain.errors import IllegalArgument, IllegalAttributeValue, Path, Problem

Schema = dict[str, Any]


def _schema(tk: TmfKind, root: str) -> Schema:
    defs = strict_definitions(tk)
    order = copy.deepcopy(defs[f"{tk.type_name}_{root}"])
    if root == "Update":  # what the create schema offers may change too; a merge patch requires nothing
        order["properties"] = {**defs[f"{tk.type_name}_Create"]["properties"], **order["properties"]}
        order.pop("required", None)
    order["properties"]["id"] = {"type": "string"}
    order["properties"].setdefault(tk.order_relationship_key, {
        "type": "array",
        "items": {"$ref": "#/definitions/ordergate.OrderRelationship"},
    })
    defs["ordergate.OrderRelationship"] = {
        "type": "object",
        "required": ["id", "relationshipType"],
        "additionalProperties": False,
        "properties": {
            k: {"type": "string"} for k in ("id", "href", "relationshipType", "@type", "@baseType",
                                            "@schemaLocation", "@referredType")
        },
    }
    item = defs[tk.item_def]["properties"]
    item["pointOfNoReturn"] = {"type": "boolean"}
    item["realizingOrder"] = {"type": "array"}  # rendered by the gateway, ignored when sent back
    item["stateReason"] = {"type": "string"}
    item.setdefault("quantity", {"type": "integer"})
    defs["ordergate.Order"] = order
    return {"$ref": "#/definitions/ordergate.Order", "definitions": defs}


@cache
def _validator(tk: TmfKind, root: str) -> Any:
    return jsonschema_rs.Draft4Validator(_schema(tk, root), validate_formats=True)


@cache
def _server_owned(tk: TmfKind, root: str) -> frozenset[str]:
    """Attributes of the kind's order that its create (update) schema leaves out: the server's."""
    defs = tk.definitions
    allowed = set(defs[f"{tk.type_name}_{root}"]["properties"]) | {"id", "href", tk.order_relationship_key}
    if root == "Update":
        allowed |= set(defs[f"{tk.type_name}_Create"]["properties"]) | {"state"}
    rendered = {"parentOrder", "milestone", "jeopardyAlert"}  # the gateway's own, rendered as extensions
    return frozenset(set(defs[tk.type_name]["properties"]) - allowed) | rendered


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def check_body(tk: TmfKind, body: Any, *, patch: bool = False) -> None:
    """Raise unless ``body`` is a valid TMF create (patch) body of the kind, naming every problem."""
    if not isinstance(body, dict):
        raise IllegalArgument(f"a {tk.resource} body must be a JSON object")
    root = "Update" if patch else "Create"
    owned = [Problem((k,), "is read-only: the server sets it") for k in body if k in _server_owned(tk, root)]
    present = {k: v for k, v in body.items() if v is not None and k not in _server_owned(tk, root)}
    validator = _validator(tk, root)
    if not owned and validator.is_valid(present):
        return
    found, shape = problems_of(validator.iter_errors(present), present)
    problems = owned + found
    if not problems:
        return
    message = "; ".join(f"{_dotted(p.path)}: {p.text}" for p in problems)
    if shape or owned:
        raise IllegalArgument(message)
    error = IllegalAttributeValue(_dotted(problems[0].path), message)
    error.message, error.args = message, (message,)  # named in TMF words already
    raise error
