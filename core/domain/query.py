"""Order queries: filter criteria, sort, paging and attribute selection.

Criteria name canonical attribute paths (``state``, ``items.state``,
``orderDate``...).  A repository may push criteria it can index down to its
store; ``matches`` is the reference meaning of every criterion, and the
in-memory fallback for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.document.fields import DATE_FIELDS, ORDER_FIELDS
from core.document.parse import parse_date
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


ITEM_PATHS = (
    "items.id",
    "items.state",
    "items.action",
    "items.quantity",
    "items.pointOfNoReturn",
    "items.entity.id",
    "items.entity.specification.id",
    "items.entity.specification.name",
)
NESTED_PATHS = (
    "relatedParties.id",
    "relatedParties.role",
    "relatedParties.name",
    "relationships.orderId",
    "relationships.type",
    "notes.text",
    "notes.author",
)
SCALAR_PATHS = tuple(sorted(ORDER_FIELDS - {"items", "notes", "relatedParties", "relationships", "history"}))
QUERYABLE = frozenset(SCALAR_PATHS + ITEM_PATHS + NESTED_PATHS)
SORTABLE = frozenset(SCALAR_PATHS)
SELECTABLE = frozenset(ORDER_FIELDS - {"history"})
_DATES = frozenset(DATE_FIELDS)
_NUMBERS = frozenset({"version", "items.quantity"})


@dataclass(frozen=True, slots=True)
class Criterion:
    path: str
    op: Op
    values: tuple[str, ...]  # several values: any of them (comma = OR)

    def __post_init__(self) -> None:
        if self.path not in QUERYABLE:
            raise IllegalArgument(f"unknown filter attribute {self.path!r}")
        if not self.values:
            raise IllegalAttributeValue(self.path, "a filter needs a value")
        if self.op not in (Op.EQ, Op.NE) and len(self.values) != 1:
            raise IllegalAttributeValue(self.path, f"{self.op.value} takes exactly one value")
        for v in self.values:
            comparable(self.path, v)


@dataclass(frozen=True, slots=True)
class SortKey:
    path: str
    descending: bool = False

    def __post_init__(self) -> None:
        if self.path not in SORTABLE:
            raise IllegalArgument(f"cannot sort by {self.path!r}")


@dataclass(frozen=True, slots=True)
class OrderQuery:
    kind: Kind | None = None
    criteria: tuple[Criterion, ...] = ()
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    attributes: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise IllegalAttributeValue("offset", "must not be negative")
        if self.limit is not None and self.limit < 0:
            raise IllegalAttributeValue("limit", "must not be negative")
        check_attributes(self.attributes)


def check_attributes(attributes: Iterable[str] | None) -> None:
    unknown = sorted(set(attributes or ()) - SELECTABLE)
    if unknown:
        raise IllegalArgument(f"unknown attribute(s) to select: {', '.join(unknown)}")


def comparable(path: str, raw: str) -> Any:
    """The value a criterion compares, typed by its path."""
    if path in _DATES:
        return parse_date(raw, path)
    if path in _NUMBERS:
        try:
            return int(raw)
        except ValueError:
            raise IllegalAttributeValue(path, f"{raw!r} is not a number") from None
    if path == "items.pointOfNoReturn":
        if raw not in ("true", "false"):
            raise IllegalAttributeValue(path, "must be true or false")
        return raw == "true"
    return raw


def values_at(document: Mapping[str, Any], path: str) -> list[Any]:
    current: list[Any] = [document]
    for part in path.split("."):
        nxt: list[Any] = []
        for node in current:
            value = node.get(part) if isinstance(node, Mapping) else None
            if isinstance(value, list):
                nxt.extend(value)
            elif value is not None:
                nxt.append(value)
        current = nxt
    if path in _DATES:
        return [parse_date(v, path) for v in current]
    if path == "items.pointOfNoReturn" and not current:
        return [False]
    return current


def _test(op: Op, have: Any, want: Any) -> bool:
    if op is Op.EQ:
        return bool(have == want)
    if op is Op.NE:
        return bool(have != want)
    if type(have) is not type(want) and not isinstance(have, datetime):
        have, want = str(have), str(want)
    result: bool = {
        Op.GT: lambda: have > want,
        Op.GTE: lambda: have >= want,
        Op.LT: lambda: have < want,
        Op.LTE: lambda: have <= want,
    }[op]()
    return result


def matches(document: Mapping[str, Any], criterion: Criterion) -> bool:
    found = values_at(document, criterion.path)
    wanted = [comparable(criterion.path, v) for v in criterion.values]
    if criterion.op is Op.NE:
        return all(h not in wanted for h in found)
    return any(_test(criterion.op, h, w) for h in found for w in wanted)


def sort_documents(documents: list[dict[str, Any]], keys: tuple[SortKey, ...]) -> None:
    """Stable multi-key sort; missing values sort first (last when descending)."""
    for key in reversed(keys or (SortKey("orderDate"), SortKey("id"))):

        def k(d: Mapping[str, Any], path: str = key.path) -> tuple[bool, Any]:
            vals = values_at(d, path)
            return (bool(vals), vals[0] if vals else "")

        documents.sort(key=k, reverse=key.descending)


def select(document: Mapping[str, Any], attributes: Iterable[str] | None) -> dict[str, Any]:
    """Attribute selection: id and kind always kept."""
    if attributes is None:
        return dict(document)
    keep = set(attributes) | {"id", "kind"}
    return {k: v for k, v in document.items() if k in keep}
