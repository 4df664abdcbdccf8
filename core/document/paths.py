"""Attribute paths of the canonical document, and what they lead to.

A query may filter on, and select, any attribute path the kind's schema
defines (``items.entity.characteristics.value``, ``items.productOffering.id``,
``relatedParties.role`` ...) and the attributes the server keeps (``state``,
``orderDate`` ...).  ``leaf`` says what a path leads to, so that a filter's
text is compared as the value it stands for.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from core.document.fields import DATE_FIELDS
from core.document.schema import canonical_schema
from core.document.tmf import API
from core.domain.model import Kind


class Leaf(StrEnum):
    TEXT = "text"
    DATE = "date"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ANY = "any"  # a free JSON value (a characteristic's value)
    OBJECT = "object"  # not a leaf: an object or a list of them


# What the server keeps, beside what a client's value may hold.
SERVER_PATHS: dict[str, Leaf] = {
    "kind": Leaf.TEXT,
    "clientId": Leaf.TEXT,
    "state": Leaf.TEXT,
    "stateReason": Leaf.TEXT,
    "version": Leaf.NUMBER,
    "stateBeforeCancellation": Leaf.TEXT,
    "cancellationReason": Leaf.TEXT,
    **dict.fromkeys(DATE_FIELDS, Leaf.DATE),
    # decomposition: the order item an order realizes
    "parent.kind": Leaf.TEXT,
    "parent.orderId": Leaf.TEXT,
    "parent.itemId": Leaf.TEXT,
    # tracking: the jeopardy alert the gateway raised, the milestones the fulfiller reported
    "jeopardyAlerts.name": Leaf.TEXT,
    "milestones.name": Leaf.TEXT,
    "milestones.status": Leaf.TEXT,
}
_SERVER_LISTS = {"jeopardyAlerts.name": (True, False), "milestones.name": (True, False)}
_SERVER_LISTS["milestones.status"] = (True, False)


def _follow(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    while True:
        if "$ref" in node:
            node = definitions[node["$ref"].rsplit("/", 1)[-1]]
        elif node.get("type") == "array":
            node = node.get("items", {})
        else:
            return node


def _leaf(node: dict[str, Any]) -> Leaf:
    if "properties" in node or node.get("type") == "object":
        return Leaf.OBJECT
    if node.get("format") == "date-time":
        return Leaf.DATE
    kind = node.get("type")
    if kind in ("integer", "number"):
        return Leaf.NUMBER
    if kind == "boolean":
        return Leaf.BOOLEAN
    if kind == "string" or "enum" in node:
        return Leaf.TEXT
    return Leaf.ANY


@cache
def _schema(kind: Kind) -> dict[str, Any]:
    return canonical_schema(API[kind])


@lru_cache(maxsize=4096)  # paths come from clients: a bounded cache
def _walk(kind: Kind, path: str) -> tuple[Leaf, tuple[bool, ...]] | None:
    """What the path leads to, and for each of its steps whether that attribute is a list."""
    if path in SERVER_PATHS:
        return SERVER_PATHS[path], _SERVER_LISTS.get(path, (False,) * (path.count(".") + 1))
    schema = _schema(kind)
    definitions = schema["definitions"]
    node = _follow(schema, definitions)
    lists = []
    for part in path.split("."):
        node = _follow(node, definitions)
        found = node.get("properties", {}).get(part)
        if found is None:
            return None
        while "$ref" in found:
            found = definitions[found["$ref"].rsplit("/", 1)[-1]]
        lists.append(found.get("type") == "array")
        node = found
    found_leaf = _leaf(_follow(node, definitions))
    if found_leaf is Leaf.DATE and path not in DATE_FIELDS:
        found_leaf = Leaf.TEXT  # client data keeps its dates as written: they compare as text
    return found_leaf, tuple(lists)


def leaf(kind: Kind | None, path: str) -> Leaf | None:
    """What ``path`` leads to in orders of ``kind`` (of any kind, when None); None: nowhere."""
    found = walk(kind, path)
    return None if found is None else found[0]


def walk(kind: Kind | None, path: str) -> tuple[Leaf, tuple[bool, ...]] | None:
    """``leaf`` and, per step of the path, whether the attribute there is a list."""
    for k in (kind,) if kind is not None else tuple(Kind):
        found = _walk(k, path)
        if found is not None:
            return found
    return None
