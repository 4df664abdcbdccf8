"""One page of a query in one statement, and what it costs to count the matches.

The statement reads each order's document as JSON text (parsed here, once)
beside its sort values, which give the page's last position.  It asks for
one order more than the page holds, so a page knows whether another follows
without counting.  On PostgreSQL:

* ``fields`` selects in the database (SQLite too): only the top-level entries
  of the document the selected attributes lie in (and ``id``, ``kind``,
  ``orderType``, ``@baseType``, which every rendering needs) leave it, so
  twenty orders of thirteen thousand items listed with ``fields=id`` cost
  twenty small objects, not twenty whole documents.
* A page is bounded in bytes as well as in orders: a running sum of the
  documents' JSON text, in the same statement, ends it before the order that
  would pass ``max_bytes`` (one order at least); the rows past it never leave
  the database.
* An exact count visits every match; ``estimate`` asks the planner instead
  (``EXPLAIN``, no row read) and counts exactly only when it expects few.

The embedded SQLite store gets the same answers, computed in Python where
PostgreSQL does it in SQL.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from core.document.parse import order_from_dict
from core.document.paths import walk
from core.document.render import iso
from core.domain.model import Kind
from core.domain.query import (
    CountMode,
    Criterion,
    OrderQuery,
    is_after,
    matches,
    projection,
    sort_documents,
    sort_keys,
    sort_value,
)
from core.ports import QueryPage

# Below this many expected matches an estimate is replaced by the exact count: it is cheap.
EXACT_BELOW = 1000
ALWAYS_SELECTED = ("id", "kind", "orderType", "@baseType", "version")


@dataclass
class Found:
    """A page of canonical documents, the count of all matches and the page's last position
    when more follow."""

    documents: list[dict[str, Any]]
    after: tuple[Any, ...] | None = None
    total: int = 0
    count: CountMode = CountMode.EXACT
    bytes: int = field(default=0, compare=False)

    def page(self, as_documents: bool) -> QueryPage:
        """The port's page: the documents as they are, or the orders they hold."""
        if as_documents:
            return QueryPage([], self.total, self.count, self.documents, self.after)
        orders = [order_from_dict(d) for d in self.documents]
        return QueryPage(orders, self.total, self.count, None, self.after)


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <statement>``: the plan PostgreSQL would run, nothing executed."""

    inherit_cache = False

    def __init__(self, statement: sa.Select[Any], analyze: bool = False) -> None:
        self.statement = statement
        self.analyze = analyze  # run it, and give the times (diagnosis)


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: Any, **kw: Any) -> str:
    options = "ANALYZE, BUFFERS, FORMAT TEXT" if element.analyze else "FORMAT JSON"
    return f"EXPLAIN ({options}) " + str(compiler.process(element.statement, **kw))


async def plan_of(conn: AsyncConnection, statement: sa.Select[Any]) -> dict[str, Any]:
    """The top node of the plan of ``statement`` (PostgreSQL)."""
    raw = (await conn.execute(Explain(statement))).scalar_one()
    plan = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return dict(plan[0]["Plan"])


def selected_keys(attributes: tuple[str, ...]) -> list[str]:
    """The document's top-level entries the selected attributes lie in, and those always kept."""
    return sorted({a.split(".", 1)[0] for a in attributes} | set(ALWAYS_SELECTED))


def _body(tbl: sa.Table, q: OrderQuery, postgres: bool) -> sa.ColumnElement[Any]:
    doc = tbl.c.document
    if not (q.as_documents and q.attributes is not None):
        return doc
    keys = selected_keys(q.attributes)
    if not postgres:  # SQLite builds the smaller object in its own thread, not on the event loop
        each = sa.func.json_each(doc).table_valued("key", "value")
        return (
            sa.select(sa.func.json_group_object(each.c.key, each.c.value)).where(each.c.key.in_(keys))
        ).scalar_subquery()
    key = sa.func.unnest(sa.literal(keys, ARRAY(sa.Text))).column_valued("k")
    entry = doc.op("->", return_type=JSONB)(key)
    return (
        sa.select(sa.func.jsonb_object_agg(key, entry)).where(doc.op("?", return_type=sa.Boolean)(key))
    ).scalar_subquery()


# Every order has these (the server sets them): they sort without a NULLS clause, which would
# keep PostgreSQL from reading them in the order of their indexes.
ALWAYS_PRESENT = frozenset({"id", "kind", "clientId", "state", "orderType", "version", "orderDate"})


def _ordered(cols: list[sa.ColumnElement[Any]], q: OrderQuery) -> list[sa.ColumnElement[Any]]:
    """Missing values first ascending, last descending: as ``sort_documents`` does."""
    out: list[sa.ColumnElement[Any]] = []
    for c, k in zip(cols, sort_keys(q.sort), strict=True):
        if k.path in ALWAYS_PRESENT:
            out.append(c.desc() if k.descending else c.asc())
        else:
            out.append(c.desc().nulls_last() if k.descending else c.asc().nulls_first())
    return out


def page_statement(
    tbl: sa.Table, q: OrderQuery, where: list[Any], cols: list[sa.ColumnElement[Any]], postgres: bool
) -> sa.Select[Any]:
    """The page: its orders chosen by key and sort values first (from an index alone where one
    holds them all), their documents read after, for those orders only -- an ``offset`` walks
    past index entries, not past documents turned into text."""
    labelled = [c.label(f"k{i}") for i, c in enumerate(cols)]
    chosen = sa.select(tbl.c.id.label("chosen_id"), *labelled).where(*where)
    chosen = chosen.order_by(*_ordered(cols, q)).offset(q.offset or None)
    if q.limit is not None:
        chosen = chosen.limit(q.limit + 1)  # one more: is there a next page?
    picked = chosen.subquery("chosen")
    keys = [picked.c[f"k{i}"] for i in range(len(cols))]
    body = sa.cast(_body(tbl, q, postgres), sa.Text).label("body")
    stmt = sa.select(body, *keys).select_from(picked.join(tbl, tbl.c.id == picked.c.chosen_id))
    stmt = stmt.order_by(*_ordered(keys, q))  # type: ignore[arg-type]
    if not (postgres and q.max_bytes):
        return stmt
    page = stmt.subquery("page")
    keys = [page.c[f"k{i}"] for i in range(len(cols))]
    size = sa.func.octet_length(page.c.body)
    running = sa.func.sum(size).over(order_by=_ordered(keys, q), rows=(None, 0))  # type: ignore[arg-type]
    sized = sa.select(
        page.c.body, *keys, size.label("size"), running.label("upto"), sa.func.count().over().label("fetched")
    ).subquery("sized")
    out_keys = [sized.c[f"k{i}"] for i in range(len(cols))]
    return (
        sa.select(sized.c.body, *out_keys, sized.c.fetched)
        .where(sized.c.upto - sized.c.size < q.max_bytes)
        .order_by(*_ordered(out_keys, q))  # type: ignore[arg-type]
    )


def _json_value(value: Any) -> Any:
    """A sort value as a position holds it (JSON: dates as ISO text in UTC)."""
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    return value


def _bounded(bodies: list[str], max_bytes: int | None) -> int:
    """How many of ``bodies`` fit in ``max_bytes`` (one at least)."""
    if max_bytes is None:
        return len(bodies)
    used = 0
    for n, body in enumerate(bodies):
        used += len(body.encode())
        if used > max_bytes and n:
            return n
    return len(bodies)


async def fetch_page(
    conn: AsyncConnection, statement: sa.Select[Any], q: OrderQuery, width: int, postgres: bool
) -> Found:
    """The page ``statement`` (``page_statement``) gives: documents, and the position after."""
    rows = (await conn.execute(statement)).all()
    fetched = int(rows[0][-1]) if rows and postgres and q.max_bytes else len(rows)
    kept = rows[: q.limit] if q.limit is not None else rows
    kept = kept[: _bounded([r[0] for r in kept], None if postgres else q.max_bytes)]
    docs = [orjson.loads(r[0]) for r in kept]
    more = fetched > len(kept)
    after = tuple(_json_value(v) for v in kept[-1][1 : 1 + width]) if more and kept else None
    return Found(docs, after, bytes=sum(len(r[0]) for r in kept))


async def count_matches(
    conn: AsyncConnection, sql: Any, mode: CountMode, postgres: bool
) -> tuple[int, CountMode]:
    """The count ``mode`` asks for, with the statements of ``queries.Statements``."""
    if mode is CountMode.NONE:
        return 0, CountMode.NONE
    if mode is CountMode.ESTIMATE and postgres:
        estimate = int((await plan_of(conn, sql.estimate))["Plan Rows"])
        if estimate >= EXACT_BELOW:
            return estimate, CountMode.ESTIMATE
    return int((await conn.execute(sql.count)).scalar_one()), CountMode.EXACT


# Candidates read, parsed and filtered at a time when SQLite cannot run a criterion.
FILTER_CHUNK = 64


def _step(node: Any, key: str) -> Any:
    """SQLite: the JSON value of attribute ``key`` of ``node`` (JSON text), as JSON (true stays
    true, which ``json_extract`` would turn into 1)."""
    return node.op("->")(sa.literal(f'$."{key}"'))


def _is_list(kind: Kind | None, path: str, below: dict[str, Any]) -> bool:
    """Whether the attribute at ``path`` is a list, as the schema says on the way to a leaf
    under it (a path such as ``milestones.name`` is known whole, not by its steps)."""
    full = path
    while below:
        key = min(below)
        full, below = f"{full}.{key}", below[key]
    found = walk(kind, full)
    return found is not None and found[1][path.count(".")]


def needed(node: Any, tree: dict[str, Any], kind: Kind | None, prefix: str = "") -> Any:
    """SQLite: the part of the document ``node`` the paths of ``tree`` (``core.domain.query.
    projection``) pass through, built as JSON in the database; a list on the way (the schema
    says which) keeps each element's part.  ``values_at`` finds the same values in it as in the
    whole document."""
    pairs: list[Any] = []
    for key, below in sorted(tree.items()):
        path = prefix + key
        if not below:
            value = _step(node, key)
        elif _is_list(kind, path, below):
            each = sa.func.json_each(node, sa.literal(f'$."{key}"')).table_valued("value").alias()
            value = (
                sa.select(sa.func.json_group_array(needed(each.c.value, below, kind, path + ".")))
                .select_from(each)
                .scalar_subquery()
            )
        else:
            value = needed(_step(node, key), below, kind, path + ".")
        pairs += [sa.literal(key), value]
    return sa.func.json_object(*pairs)


def _matching(bodies: list[str], rest: list[Criterion], tops: tuple[str, ...]) -> list[dict[str, Any]]:
    """Of the candidates' parts (JSON text), the matches' sort values (the top-level attributes
    ``tops``)."""
    kept = []
    for d in map(orjson.loads, bodies):
        if all(matches(d, c) for c in rest):
            kept.append({k: d[k] for k in tops if k in d})
    return kept


async def filter_in_python(
    conn: AsyncConnection, tbl: sa.Table, q: OrderQuery, where: list[Any], rest: list[Criterion]
) -> Found:
    """SQLite, with criteria it cannot run: of each candidate only the part the criteria and the
    sort read (``needed``, built by SQLite in its own thread), a chunk at a time by id, parsed
    and filtered in a worker thread; only the matches' sort values are kept, sorted and paged
    here, then the page's documents (or their selected attributes) read again by id."""
    keys = sort_keys(q.sort)
    tops = tuple(sorted({k.path.split(".", 1)[0] for k in keys} | {"id", "orderDate"}))
    part = needed(tbl.c.document, projection([*(c.path for c in rest), *tops]), q.kind)
    candidates = sa.select(tbl.c.id, part).order_by(tbl.c.id).limit(FILTER_CHUNK)
    found: list[dict[str, Any]] = []
    last: str | None = None
    while True:
        chunk = candidates.where(*where) if last is None else candidates.where(*where, tbl.c.id > last)
        rows = (await conn.execute(chunk)).all()
        if not rows:
            break
        found += await asyncio.to_thread(_matching, [body for _, body in rows], rest, tops)
        last = rows[-1][0]
    sort_documents(found, keys)
    total = len(found)
    if q.after is not None:
        found = [d for d in found if is_after(d, keys, q.after)]
    end = None if q.limit is None else q.offset + q.limit
    chosen = found[q.offset : end]
    ids = [d["id"] for d in chosen]
    read = sa.select(tbl.c.id, sa.cast(_body(tbl, q, False), sa.Text)).where(tbl.c.id.in_(ids))
    bodies_of = dict((await conn.execute(read)).all()) if ids else {}
    # an order removed since it matched is left out of the page
    chosen = [d for d in chosen if d["id"] in bodies_of]
    texts = [bodies_of[d["id"]] for d in chosen]
    kept = _bounded(texts, q.max_bytes)
    chosen, texts = chosen[:kept], texts[:kept]
    more = len(found) > q.offset + len(chosen)
    after = tuple(_json_value(sort_value(chosen[-1], k.path)) for k in keys) if more and chosen else None
    page, size = [orjson.loads(t) for t in texts], sum(len(t) for t in texts)
    if q.count is CountMode.NONE:
        return Found(page, after, 0, CountMode.NONE, bytes=size)
    return Found(page, after, total, CountMode.EXACT, bytes=size)
