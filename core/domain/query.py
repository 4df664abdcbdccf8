"""Order queries: filter criteria, sort, paging and attribute selection.

Criteria name canonical attribute paths (``state``, ``items.state``,
``items.productOffering.id``, ``orderDate`` ...): any path the kind's schema
defines (``core.document.paths``).  A repository pushes criteria down to its
store; ``matches`` is the reference meaning of every criterion, and the
in-memory fallback.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from core.document.fields import DATE_FIELDS, ORDER_FIELDS
from core.document.parse import parse_date
from core.document.paths import Leaf, leaf
from core.document.text import NOT_XML
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"


SCALAR_PATHS = tuple(sorted(ORDER_FIELDS - {"items", "notes", "relatedParties", "relationships", "history"}))
SORTABLE = frozenset(SCALAR_PATHS)
MAX_CRITERIA = 50  # filters in one query
MAX_PATH = 256  # characters of one attribute path


def path_leaf(kind: Kind | None, path: str, what: str = "filter attribute") -> Leaf:
    """What a client's path leads to; IllegalArgument when it leads nowhere."""
    found = leaf(kind, path) if len(path) <= MAX_PATH else None
    if found is None:
        raise IllegalArgument(f"unknown {what} {path[:MAX_PATH]!r}")
    return found


@dataclass(frozen=True, slots=True)
class Criterion:
    path: str
    op: Op
    values: tuple[str, ...]  # several values: any of them (comma = OR)
    # the kind whose schema the path is read in (None: any kind); context, not part of the criterion
    kind: Kind | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        found = path_leaf(self.kind, self.path)
        if found is Leaf.OBJECT:
            raise IllegalAttributeValue(self.path, "is an object: filter on one of its attributes")
        if not self.values:
            raise IllegalAttributeValue(self.path, "a filter needs a value")
        if self.op not in (Op.EQ, Op.NE) and len(self.values) != 1:
            raise IllegalAttributeValue(self.path, f"{self.op.value} takes exactly one value")
        for v in self.values:
            if NOT_XML.search(v) is not None:  # no stored value holds one: a mistake, or a probe
                raise IllegalAttributeValue(self.path, "holds control characters no order can hold")
            comparable(self.path, v, found)

    @property
    def leaf(self) -> Leaf:
        return path_leaf(self.kind, self.path)


@dataclass(frozen=True, slots=True)
class SortKey:
    path: str
    descending: bool = False

    def __post_init__(self) -> None:
        if self.path not in SORTABLE:
            raise IllegalArgument(f"cannot sort by {self.path[:MAX_PATH]!r}")


class CountMode(StrEnum):
    """How a query counts its matches.  An exact count visits every match (an index scan of
    all of them, on every page); an estimate is the database planner's, at the cost of
    planning the query once; none skips counting."""

    EXACT = "exact"
    ESTIMATE = "estimate"
    NONE = "none"


def sort_keys(keys: tuple[SortKey, ...]) -> tuple[SortKey, ...]:
    """The full sort of a query: the default (orderDate, id) or the keys given, ended by id
    where it is not among them, so that the order is total and a position names one place."""
    keys = keys or (SortKey("orderDate"), SortKey("id"))
    return keys if any(k.path == "id" for k in keys) else (*keys, SortKey("id"))


@dataclass(frozen=True, slots=True)
class OrderQuery:
    """What to find and how much of it.

    ``after`` is a keyset position: the sort values (``sort_keys``) of the last order of the
    previous page; the page starts after it, which costs the same however deep it is (an
    ``offset`` makes the store walk past every order before it).  ``archived`` reads the
    archive of closed orders instead of the order book.  ``as_documents``: the caller reads
    canonical documents (``QueryPage.documents``), holding at least ``attributes`` when those
    are given, so the store need build no ``Order``.  ``max_bytes`` bounds the JSON text of
    one page's documents: the page ends before the order that would pass it (one order at
    least)."""

    kind: Kind | None = None
    criteria: tuple[Criterion, ...] = ()
    sort: tuple[SortKey, ...] = ()
    offset: int = 0
    limit: int | None = None
    attributes: tuple[str, ...] | None = None
    archived: bool = False
    after: tuple[Any, ...] | None = None
    count: CountMode = CountMode.EXACT
    as_documents: bool = False
    max_bytes: int | None = None

    def __post_init__(self) -> None:
        if self.offset < 0:
            raise IllegalAttributeValue("offset", "must not be negative")
        if self.limit is not None and self.limit < 0:
            raise IllegalAttributeValue("limit", "must not be negative")
        if len(self.criteria) > MAX_CRITERIA:
            raise IllegalArgument(f"a query takes at most {MAX_CRITERIA} filters")
        if self.after is not None and len(self.after) != len(sort_keys(self.sort)):
            raise IllegalAttributeValue("cursor", "does not fit this sort")
        if self.after is not None and self.offset:
            raise IllegalArgument("a query takes an offset or a position to start after, not both")
        if self.max_bytes is not None and self.max_bytes < 1:
            raise IllegalAttributeValue("max_bytes", "must be positive")
        check_attributes(self.attributes, self.kind)


def check_attributes(attributes: Iterable[str] | None, kind: Kind | None = None) -> None:
    """Every attribute to select names a path of the kind (``items``, ``items.productOffering`` ...)."""
    unknown = sorted(a for a in set(attributes or ()) if a == "history" or leaf(kind, a) is None)
    if unknown:
        raise IllegalArgument(f"unknown attribute(s) to select: {', '.join(u[:MAX_PATH] for u in unknown)}")


_BOOLEANS = {"true": True, "false": False}


def comparable(path: str, raw: str, kind: Leaf | None = None) -> Any:
    """The value a criterion compares, typed by what its path leads to."""
    kind = kind or leaf(None, path) or Leaf.TEXT
    if kind is Leaf.DATE:
        return parse_date(raw, path)
    if kind is Leaf.NUMBER:
        try:
            return int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            raise IllegalAttributeValue(path, f"{raw[:40]!r} is not a number") from None
    if kind is Leaf.BOOLEAN:
        if raw not in _BOOLEANS:
            raise IllegalAttributeValue(path, "must be true or false")
        return _BOOLEANS[raw]
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
    if path == "items.pointOfNoReturn" and not current:
        return [False]
    return current


def _same(have: Any, want: Any, kind: Leaf) -> bool:
    if kind is Leaf.DATE and isinstance(have, str):
        try:
            have = parse_date(have, "")
        except IllegalAttributeValue:
            return False
    if kind is Leaf.ANY and isinstance(have, bool | int | float) and not isinstance(have, bool):
        try:
            return bool(have == float(want))
        except ValueError:
            return False
    if kind is Leaf.ANY and isinstance(have, bool):
        return bool(want == ("true" if have else "false"))
    return bool(have == want)


def _order(op: Op, have: Any, want: Any, kind: Leaf) -> bool:
    if kind is Leaf.DATE and isinstance(have, str):
        try:
            have = parse_date(have, "")
        except IllegalAttributeValue:
            return False
    if type(have) is not type(want) and not isinstance(have, datetime):
        if isinstance(have, int | float) and isinstance(want, int | float):
            pass
        else:
            have, want = str(have), str(want)
    result: bool = {
        Op.GT: lambda: have > want,
        Op.GTE: lambda: have >= want,
        Op.LT: lambda: have < want,
        Op.LTE: lambda: have <= want,
    }[op]()
    return result


def matches(document: Mapping[str, Any], criterion: Criterion) -> bool:
    kind = criterion.leaf
    found = values_at(document, criterion.path)
    wanted = [comparable(criterion.path, v, kind) for v in criterion.values]
    if criterion.op is Op.NE:
        return all(not _same(h, w, kind) for h in found for w in wanted)
    if criterion.op is Op.EQ:
        return any(_same(h, w, kind) for h in found for w in wanted)
    return any(_order(criterion.op, h, w, kind) for h in found for w in wanted)


def sort_documents(documents: list[dict[str, Any]], keys: tuple[SortKey, ...]) -> None:
    """Stable multi-key sort; missing values sort first (last when descending)."""
    for key in reversed(keys or (SortKey("orderDate"), SortKey("id"))):

        def k(d: Mapping[str, Any], path: str = key.path) -> tuple[bool, Any]:
            vals = values_at(d, path)
            value = vals[0] if vals else ""
            if path in DATE_FIELDS and isinstance(value, str):
                value = parse_date(value, path)
            return (bool(vals), value)

        documents.sort(key=k, reverse=key.descending)


def sort_value(document: Mapping[str, Any], path: str) -> Any:
    """The value an order sorts by on ``path`` (None when it has none), as positions hold it:
    dates as ISO text."""
    vals = values_at(document, path)
    return vals[0] if vals else None


def _position_key(values: Iterable[Any], keys: tuple[SortKey, ...]) -> tuple[Any, ...]:
    """A tuple that compares as the sort does: missing values first ascending, last descending."""
    out: list[tuple[int, Any] | _Reversed] = []
    for value, key in zip(values, keys, strict=True):
        if key.path in DATE_FIELDS and isinstance(value, str):
            value = parse_date(value, key.path)
        present = (1, value) if value is not None else (0, "")
        out.append(present if not key.descending else _Reversed(present))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class _Reversed:
    value: tuple[int, Any]

    def __lt__(self, other: _Reversed) -> bool:
        return bool(other.value < self.value)

    def __gt__(self, other: _Reversed) -> bool:
        return bool(other.value > self.value)


def is_after(document: Mapping[str, Any], keys: tuple[SortKey, ...], position: tuple[Any, ...]) -> bool:
    """Whether ``document`` sorts after ``position`` under the full sort ``keys`` (the reference
    meaning of ``OrderQuery.after``)."""
    mine = _position_key((sort_value(document, k.path) for k in keys), keys)
    return mine > _position_key(position, keys)


def projection(attributes: Iterable[str]) -> dict[str, Any]:
    """``a.b, a.c, d`` -> ``{a: {b: {}, c: {}}, d: {}}`` (an empty branch keeps the whole value)."""
    tree: dict[str, Any] = {}
    for path in sorted(set(attributes), key=len):  # shorter first: a whole attribute wins over its parts
        node = tree
        *parents, last = path.split(".")
        for part in parents:
            if part in node and not node[part]:
                break  # the whole of it is kept already
            node = node.setdefault(part, {})
        else:
            node[last] = {}
    return tree


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


def select(document: Mapping[str, Any], attributes: Iterable[str] | None) -> dict[str, Any]:
    """Attribute selection by path: id and kind always kept, and each selected object's id."""
    if attributes is None:
        return dict(document)
    out = _project(document, projection(attributes))
    out["kind"] = document["kind"]
    return dict(out)
