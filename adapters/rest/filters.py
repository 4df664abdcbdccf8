"""TMF630 query strings -> ``core.domain.query`` criteria, sort and attribute selection.

``state=inProgress,held`` (comma = OR), ``orderDate.gte=2024-01-01T00:00:00Z``
(``.gt .gte .lt .lte``, and ``.eq .ne``), nested item attributes
(``productOrderItem.state=completed``), ``sort=-orderDate,id``,
``fields=state,productOrderItem``, ``offset`` and ``limit``.  An attribute the
table below does not know is refused, never ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from adapters.rest.parsing import priority_from_tmf
from adapters.rest.vocabulary import TmfKind
from core.document.fields import DATE_FIELDS
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.query import Criterion, Op, OrderQuery, SortKey

LIST_PARAMETERS = frozenset({"fields", "offset", "limit", "sort"})
_OPS = {op.value: op for op in Op}
_SCALARS = (
    "id",
    "externalId",
    "description",
    "category",
    "state",
    "stateReason",
    "priority",
    *DATE_FIELDS,
    "cancellationReason",
)


def attribute_paths(tk: TmfKind) -> dict[str, str]:
    """TMF attribute path -> canonical path, for filters and sort."""
    paths = {name: name for name in _SCALARS} | {"@type": "orderType"}
    if tk.integer_priority:
        paths["orderType"] = "orderType"
    item, entity = tk.item_key, f"{tk.item_key}.{tk.entity_key}"
    for name in ("id", "state", "action", "quantity", "pointOfNoReturn"):
        paths[f"{item}.{name}"] = f"items.{name}"
    paths[f"{entity}.id"] = "items.entity.id"
    for name in ("id", "name"):
        paths[f"{entity}.{tk.specification_key}.{name}"] = f"items.entity.specification.{name}"
    for name in ("id", "role", "name"):
        paths[f"relatedParty.{name}"] = f"relatedParties.{name}"
    paths["note.text"], paths["note.author"] = "notes.text", "notes.author"
    paths[f"{tk.order_relationship_key}.id"] = "relationships.orderId"
    paths[f"{tk.order_relationship_key}.relationshipType"] = "relationships.type"
    return paths


def top_level_fields(tk: TmfKind) -> dict[str, str | None]:
    """TMF top-level attribute -> canonical attribute (None: rendered, not stored)."""
    fields: dict[str, str | None] = {name: name for name in _SCALARS}
    fields |= {"href": None, "@type": "orderType", "@baseType": None}
    fields |= {"note": "notes", "relatedParty": "relatedParties", tk.order_relationship_key: "relationships"}
    fields[tk.item_key] = "items"
    if tk.integer_priority:
        fields["orderType"] = "orderType"
    return fields


def _criterion(tk: TmfKind, paths: dict[str, str], key: str, raw: str) -> Criterion:
    name, _, suffix = key.rpartition(".")
    op = _OPS.get(suffix) if name else None
    attribute = name if op else key
    path = paths.get(attribute)
    if path is None:
        raise IllegalArgument(f"unknown filter attribute {attribute!r}")
    values = tuple(raw.split(","))
    if path == "priority":
        values = tuple(str(priority_from_tmf(tk, v)) for v in values)
    return Criterion(path, op or Op.EQ, values)


def criteria(tk: TmfKind, pairs: Iterable[tuple[str, str]]) -> tuple[Criterion, ...]:
    paths = attribute_paths(tk)
    return tuple(_criterion(tk, paths, k, v) for k, v in pairs)


MAX_OFFSET = 2**31 - 1  # paging values past this are mistakes, and overflow database integers


def paging_value(raw: str | None, name: str) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise IllegalAttributeValue(name, f"{raw!r} is not an integer") from None
    if not 0 <= value <= MAX_OFFSET:
        raise IllegalAttributeValue(name, f"must be between 0 and {MAX_OFFSET}")
    return value


def _sort(tk: TmfKind, raw: str | None) -> tuple[SortKey, ...]:
    if not raw:
        return ()
    paths = attribute_paths(tk)
    keys = []
    for part in raw.split(","):
        descending = part.startswith("-")
        name = part.lstrip("+-")
        if name not in paths:
            raise IllegalArgument(f"cannot sort by {name!r}")
        keys.append(SortKey(paths[name], descending))
    return tuple(keys)


def fields_of(tk: TmfKind, raw: str | None) -> tuple[frozenset[str] | None, tuple[str, ...] | None]:
    """TMF ``fields``: (TMF attributes to keep, canonical attributes for the core), or (None, None)."""
    if raw is None or not raw.strip():  # an empty selection selects nothing away
        return None, None
    known = top_level_fields(tk)
    names = frozenset(n.strip() for n in raw.split(",") if n.strip())
    unknown = sorted(names - set(known))
    if unknown:
        raise IllegalArgument(f"unknown field(s): {', '.join(unknown)}")
    canonical = tuple(sorted({c for n in names if (c := known[n]) is not None}))
    return names, canonical


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
