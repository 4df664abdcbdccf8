"""TMF attribute paths <-> canonical attribute paths, for one order kind.

The canonical document renames only the typed attributes (``core.document.schema.renames``);
below a client-data attribute every name is the TMF name already.  Paths are
lists of names and list positions, as filters, ``fields`` and error messages
use them: ``productOrderItem[0].product.productCharacteristic[1].value`` <->
``items[0].entity.characteristics[1].value``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from functools import cache

from adapters.rest.vocabulary import TmfKind
from core.document.schema import renames
from core.domain.errors import IllegalArgument, IllegalAttributeValue, Path, listing

# canonical attribute at a level -> the level below it
_BELOW = {
    "order": {"items": "item", "relationships": "orderRelationship", "parent": "parent"},
    "item": {"items": "item", "entity": "entity", "relationships": "itemRelationship"},
}


@cache
def _tables(tk: TmfKind) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    forward = renames(tk)
    # what the gateway keeps for itself, under the names the profile renders it with (extensions)
    forward["order"] = {**forward["order"], "parentOrder": "parent", "milestone": "milestones"}
    forward["order"]["jeopardyAlert"] = "jeopardyAlerts"
    forward["parent"] = {"id": "orderId", "orderItemId": "itemId"}
    backward = {level: {c: t for t, c in names.items()} for level, names in forward.items()}
    backward["order"]["orderType"] = "orderType" if tk.integer_priority else "@type"
    return forward, backward


def to_canonical(tk: TmfKind, path: Sequence[str | int]) -> Path:
    forward, _ = _tables(tk)
    out: list[str | int] = []
    level = "order"
    for part in path:
        if isinstance(part, int):
            out.append(part)
            continue
        if level == "itemRef" and part in ("itemId", "id"):
            out[-1] = "itemId"  # the nested reference's item id is the relationship's own
            level = "opaque"
            continue
        name = forward.get(level, {}).get(part, part)
        out.append(name)
        if level == "itemRelationship" and tk.item_ref_nested and name == "orderItem":
            level = "itemRef"
        else:
            level = _BELOW.get(level, {}).get(name, "opaque")
    return tuple(out)


def to_tmf(tk: TmfKind, path: Sequence[str | int]) -> Path:
    _, backward = _tables(tk)
    out: list[str | int] = []
    level = "order"
    for part in path:
        if isinstance(part, int):
            out.append(part)
            continue
        if level == "itemRelationship" and tk.item_ref_nested and part == "itemId":
            out += ["orderItem", "itemId"]
            level = "opaque"
            continue
        out.append(backward.get(level, {}).get(part, part))
        level = _BELOW.get(level, {}).get(part, "opaque")
    return tuple(out)


def dotted_tmf(tk: TmfKind, path: Sequence[str | int]) -> str:
    """A canonical path as a TMF client writes it: ``productOrderItem[0].product.productSpecification``."""
    out = ""
    for part in to_tmf(tk, path):
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@contextlib.contextmanager
def tmf_words(tk: TmfKind) -> Iterator[None]:
    """Core errors that list problems by canonical path name them by TMF path instead."""
    try:
        yield
    except IllegalArgument as e:
        if e.problems:
            message = listing(e.problems, lambda p: dotted_tmf(tk, p))
            e.message, e.args = message, (message,)
            if isinstance(e, IllegalAttributeValue):
                e.attribute = dotted_tmf(tk, e.problems[0].path)
        raise
