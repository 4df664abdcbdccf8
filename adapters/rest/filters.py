"""TMF630 query strings -> ``core.domain.query`` criteria, sort and attribute selection.

``state=inProgress,held`` (comma = OR), ``orderDate.gte=2024-01-01T00:00:00Z``
(``.gt .gte .lt .lte``, and ``.eq .ne``), any attribute path of the kind's
model (``productOrderItem.productOffering.id=14277``,
``serviceOrderItem.service.serviceCharacteristic.name=vCPE``,
``relatedParty.role=requester``), ``sort=-orderDate,id``,
``fields=state,productOrderItem.productOffering``, ``offset`` and ``limit``.
An attribute path the model does not know is refused, never ignored.

Beyond TMF630 (docs/rest.md, "Listing"): ``cursor`` (the position after
which a page starts, as the previous page's ``X-Next-Cursor`` gave it: deep
pages cost what the first does), ``count=exact|estimate|none`` (what
``X-Total-Count`` costs), and ``archived=true`` (the archive of closed orders).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from adapters.rest.names import to_canonical
from adapters.rest.parsing import priority_from_tmf
from adapters.rest.vocabulary import TmfKind
from core.domain.errors import IllegalArgument, IllegalAttributeValue, dotted
from core.domain.query import MAX_PATH, CountMode, Criterion, Op, OrderQuery, SortKey, path_leaf, sort_keys

LIST_PARAMETERS = frozenset({"fields", "offset", "limit", "sort", "cursor", "count", "archived"})
# The JSON text of one page's stored documents (before the profile renders them): a page ends
# before the order that would pass it, whatever its limit (one order at least).
MAX_PAGE_BYTES = 4 * 1024 * 1024
MAX_CURSOR = 4096  # characters of a cursor
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


def cursor_token(sort: str, position: tuple[Any, ...]) -> str:
    """The opaque ``cursor`` of a position under a sort (base64url of JSON, unpadded)."""
    raw = json.dumps([sort, list(position)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_position(token: str, sort: str) -> tuple[Any, ...]:
    """The position a ``cursor`` holds; 400 when it is not one, or was made under another sort."""
    try:
        if len(token) > MAX_CURSOR:
            raise ValueError
        made_under, position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(made_under, str) or not isinstance(position, list):
            raise ValueError
        if not all(v is None or isinstance(v, str | int | float) for v in position):
            raise ValueError
    except (ValueError, TypeError, binascii.Error):
        raise IllegalAttributeValue("cursor", "is not a cursor this gateway gave") from None
    if made_under != sort:
        raise IllegalAttributeValue("cursor", "was given for another sort: keep the sort while paging")
    return tuple(position)


def _count_mode(raw: str | None, paging_on: bool) -> CountMode:
    """``count``; by default the estimate on a first page (exact when the planner expects
    few matches: an exact count visits every match), and none on the pages after it."""
    if raw is None:
        return CountMode.NONE if paging_on else CountMode.ESTIMATE
    try:
        return CountMode(raw)
    except ValueError:
        raise IllegalAttributeValue("count", "must be exact, estimate or none") from None


def _archived(raw: str | None) -> bool:
    if raw is None or raw == "false":
        return False
    if raw == "true":
        return True
    raise IllegalAttributeValue("archived", "must be true or false")


@dataclass(frozen=True)
class ListRequest:
    query: OrderQuery
    fields: frozenset[str] | None
    sort: str  # as the client wrote it: a cursor is made under it

    def next_cursor(self, position: tuple[Any, ...] | None) -> str | None:
        return None if position is None else cursor_token(self.sort, position)


def list_request(
    tk: TmfKind, params: Iterable[tuple[str, str]], *, default_limit: int, max_limit: int
) -> ListRequest:
    pairs = list(params)
    single = {k: v for k, v in pairs if k in LIST_PARAMETERS}
    fields, attributes = fields_of(tk, single.get("fields"))
    limit = paging_value(single.get("limit"), "limit")
    limit = default_limit if limit is None else min(limit, max_limit)
    sort = _sort(tk, single.get("sort"))
    raw_sort = single.get("sort") or ""
    token = single.get("cursor")
    after = cursor_position(token, raw_sort) if token else None
    if after is not None and len(after) != len(sort_keys(sort)):
        raise IllegalAttributeValue("cursor", "does not fit this sort")
    query = OrderQuery(
        kind=tk.kind,
        criteria=criteria(tk, [(k, v) for k, v in pairs if k not in LIST_PARAMETERS]),
        sort=sort,
        offset=paging_value(single.get("offset"), "offset") or 0,
        limit=limit,
        attributes=attributes,
        archived=_archived(single.get("archived")),
        after=after,
        count=_count_mode(single.get("count"), after is not None),
        as_documents=True,
        max_bytes=MAX_PAGE_BYTES,
    )
    return ListRequest(query, fields, raw_sort)


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
