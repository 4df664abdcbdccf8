"""TMF630 query strings -> ``core.domain.query`` criteria, sort and attribute selection.

``state=inProgress,held`` (comma = OR), ``orderDate.gte=2024-01-01T00:00:00Z``
(``.gt .gte .lt .lte``, and ``.eq .ne``), any attribute path of the kind's
model (``productOrderItem.productOffering.id=14277``,
``serviceOrderItem.service.serviceCharacteristic.name=vCPE``,
``relatedParty.role=requester``), ``sort=-orderDate,id``,
``fields=state,productOrderItem.productOffering``, ``offset`` and ``limit``.
An attribute path the model does not know is refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from adapters.rest.names import to_canonical
from adapters.rest.parsing import priority_from_tmf
from adapters.rest.vocabulary import TmfKind
from core.domain.errors import IllegalArgument, IllegalAttributeValue, dotted
from core.domain.query import MAX_PATH, Criterion, Op, OrderQuery, SortKey, path_leaf

LIST_PARAMETERS = frozenset({"fields", "offset", "limit", "sort"})
_OPS = {op.value: op for op in Op}
# top-level TMF attributes the profile renders without storing them
_RENDERED = frozenset({"href", "@baseType"})


def canonical_path(tk: TmfKind, path: str) -> str:
    """A TMF attribute path in canonical names (``productOrderItem.product.id`` -> ``items.entity.id``)."""
    if len(path) > MAX_PATH or not path or "" in path.split("."):
        raise IllegalArgument(f"unknown attribute {path[:MAX_PATH]!r}")
    return dotted(to_canonical(tk, path.split(".")))


def top_level_fields(tk: TmfKind) -> dict[str, str | None]:
    """TMF top-level attribute -> canonical attribute (None: rendered, not stored), for the typed ones."""
    names = ("id", "externalId", "description", "category", "state", "stateReason", "priority")
    fields: dict[str, str | None] = {n: n for n in names}
    fields |= {"href": None, "@type": "orderType", "@baseType": None}
    fields |= {"note": "notes", "relatedParty": "relatedParties", tk.order_relationship_key: "relationships"}
    fields[tk.item_key] = "items"
    if tk.integer_priority:
        fields["orderType"] = "orderType"
    return fields


def _criterion(tk: TmfKind, key: str, raw: str) -> Criterion:
    name, _, suffix = key.rpartition(".")
    op = _OPS.get(suffix) if name else None
    attribute = name if op else key
    path = canonical_path(tk, attribute)
    values = tuple(raw.split(","))
    if path == "priority":
        values = tuple(str(priority_from_tmf(tk, v)) for v in values)
    try:
        return Criterion(path, op or Op.EQ, values, tk.kind)
    except IllegalAttributeValue as e:  # named as the client wrote it
        raise IllegalAttributeValue(attribute, e.message.removeprefix(f"{path}: ")) from None
    except IllegalArgument as e:
        raise IllegalArgument(e.message.replace(repr(path), repr(attribute))) from None


def criteria(tk: TmfKind, pairs: Iterable[tuple[str, str]]) -> tuple[Criterion, ...]:
    return tuple(_criterion(tk, k, v) for k, v in pairs)


MAX_OFFSET = 2**31 - 1  # paging values past this are mistakes, and overflow database integers


def paging_value(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10:
        raise IllegalAttributeValue(name, f"must be an integer between 0 and {MAX_OFFSET}")
    value = int(raw)
    if value > MAX_OFFSET:
        raise IllegalAttributeValue(name, f"must be between 0 and {MAX_OFFSET}")
    return value


def _sort(tk: TmfKind, raw: str | None) -> tuple[SortKey, ...]:
    if not raw:
        return ()
    keys = []
    for part in raw.split(","):
        name = part.lstrip("+-")
        try:
            keys.append(SortKey(canonical_path(tk, name), part.startswith("-")))
        except IllegalArgument:
            raise IllegalArgument(f"cannot sort by {name[:MAX_PATH]!r}") from None
    return tuple(keys)


def fields_of(tk: TmfKind, raw: str | None) -> tuple[frozenset[str] | None, tuple[str, ...] | None]:
    """TMF ``fields``: (TMF attribute paths to keep, canonical paths for the core), or (None, None)."""
    if raw is None or not raw.strip():  # an empty selection selects nothing away
        return None, None
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    canonical = set()
    unknown = []
    for name in names:
        if name in _RENDERED:
            continue
        path = canonical_path(tk, name)
        try:
            path_leaf(tk.kind, path)
        except IllegalArgument:
            unknown.append(name)
            continue
        canonical.add(path)
    if unknown:
        raise IllegalArgument(f"unknown field(s): {', '.join(sorted(u[:MAX_PATH] for u in unknown))}")
    return names, tuple(sorted(canonical))


@dataclass(frozen=True)
class ListRequest:
    query: OrderQuery
    fields: frozenset[str] | None


def list_request(
    tk: TmfKind, params: Iterable[tuple[str, str]], *, default_limit: int, max_limit: int
) -> ListRequest:
    pairs = list(params)
    single = {k: v for k, v in pairs if k in LIST_PARAMETERS}
    fields, attributes = fields_of(tk, single.get("fields"))
    limit = paging_value(single.get("limit"), "limit")
    limit = default_limit if limit is None else min(limit, max_limit)
    query = OrderQuery(
        kind=tk.kind,
        criteria=criteria(tk, [(k, v) for k, v in pairs if k not in LIST_PARAMETERS]),
        sort=_sort(tk, single.get("sort")),
        offset=paging_value(single.get("offset"), "offset") or 0,
        limit=limit,
        attributes=attributes,
    )
    return ListRequest(query, fields)


@dataclass(frozen=True)
class EventFilter:
    """A hub subscription's ``query``: event types (comma = OR) and criteria on the order."""

    event_types: frozenset[str]
    criteria: tuple[Criterion, ...]


def event_filter(tk: TmfKind, query: str | None) -> EventFilter:
    """``eventType=X,Y&event.productOrder.state=completed`` (the ``event.<resource>.`` prefix is optional)."""
    if not query:
        return EventFilter(frozenset(), ())
    known = tk.event_names
    types: set[str] = set()
    pairs = []
    prefix = f"event.{tk.resource}."
    for key, value in parse_qsl(query.lstrip("?"), keep_blank_values=True):
        if key == "eventType":
            unknown = sorted(set(value.split(",")) - set(known))
            if unknown:
                raise IllegalAttributeValue("query", f"unknown event type(s) {', '.join(unknown)}")
            types.update(value.split(","))
        else:
            pairs.append((key.removeprefix(prefix), value))
    return EventFilter(frozenset(types), criteria(tk, pairs))
