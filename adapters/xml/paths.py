"""Canonical attribute paths as the XML profiles' clients write them: element paths.

``items[0].entity.characteristics[1].value`` -> ``items/item[1]/entity/characteristic[2]/value``
(XPath steps, positions from 1), so that an error names the element the
client sent; ``@type`` and its kin are attributes (``@type``), an order's id
is its ``key/primaryKey``.
"""

from __future__ import annotations

from collections.abc import Sequence

# canonical list -> (its wrapper element or None, the element of one entry), by the level it is on
_ORDER_LISTS = {
    "notes": ("notes", "note"),
    "relatedParties": ("relatedParties", "relatedParty"),
    "relationships": ("relationships", "relationship"),
    "items": ("items", "item"),
}
_ITEM_LISTS = {"items": ("items", "item"), "relationships": (None, "relationship")}
_ENTITY_LISTS = {"characteristics": (None, "characteristic")}
_ATTRIBUTES = {"@type": "@type", "@baseType": "@baseType", "@schemaLocation": "@schemaLocation"}
_ATTRIBUTES["@referredType"] = "@referredType"


def element_path(path: Sequence[str | int]) -> str:
    steps: list[str] = []
    lists = _ORDER_LISTS
    for i, part in enumerate(path):
        if isinstance(part, int):
            steps[-1] += f"[{part + 1}]"
            continue
        if not steps and part == "id":
            steps += ["key", "primaryKey"]
            continue
        wrapper, entry = lists.get(part, (None, part))
        steps += [wrapper, entry] if wrapper else [entry]
        if part == "items":
            lists = _ITEM_LISTS
        elif part == "entity":
            lists = _ENTITY_LISTS
        else:
            lists = {}
        if wrapper and (i + 1 == len(path) or not isinstance(path[i + 1], int)):
            steps.pop()  # the list itself is named, not one of its entries
    return "/".join(_ATTRIBUTES.get(s, s) for s in steps)
