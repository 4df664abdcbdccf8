"""Order queries on SQL.

Criteria on indexed columns run on those columns.  On PostgreSQL every other
criterion runs in SQL too, on the stored document (JSONB): an equality as
containment (``document @> {"items": [{"productOffering": {"id": "14277"}}]}``),
which the GIN index on the document serves, a comparison as a JSON path
(``$.items.quantity ? (@ > $v)``); sorting on attributes without a column
sorts on the document's value.  Nothing is read into Python to be filtered.
The embedded SQLite store evaluates those criteria on the candidate documents
with the core's reference ``matches`` instead.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, JSONPATH
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc
from core.document.fields import DATE_FIELDS
from core.document.paths import Leaf, walk
from core.domain.query import Criterion, Op, OrderQuery, SortKey, comparable, matches, sort_documents

COLUMNS: dict[str, sa.ColumnElement[Any]] = {
    "id": t.orders.c.id,
    "kind": t.orders.c.kind,
    "clientId": t.orders.c.client_id,
    "state": t.orders.c.state,
    "orderType": t.orders.c.order_type,
    "externalId": t.orders.c.external_id,
    "priority": t.orders.c.priority,
    "version": t.orders.c.version,
    "orderDate": t.orders.c.order_date,
    "requestedStartDate": t.orders.c.requested_start_date,
    "requestedCompletionDate": t.orders.c.requested_completion_date,
    "completionDate": t.orders.c.completion_date,
}
_ORDERED_OPS = {Op.GT: "__gt__", Op.GTE: "__ge__", Op.LT: "__lt__", Op.LTE: "__le__"}
_JSONPATH_OPS = {Op.GT: ">", Op.GTE: ">=", Op.LT: "<", Op.LTE: "<="}
_DOCUMENT = t.orders.c.document


def _column_clause(c: Criterion) -> sa.ColumnElement[bool]:
    col = COLUMNS[c.path]
    values = [comparable(c.path, v) for v in c.values]
    values = [naive_utc(v) if hasattr(v, "tzinfo") else v for v in values]
    if c.op is Op.EQ:
        return col.in_(values)
    if c.op is Op.NE:
        return sa.or_(col.is_(None), col.not_in(values))
    result: sa.ColumnElement[bool] = getattr(col, _ORDERED_OPS[c.op])(values[0])
    return result


def _json_values(leaf: Leaf, path: str, raw: str) -> list[Any]:
    """The JSON values a filter's text stands for (a free value: the text, or the number it spells)."""
    if leaf is not Leaf.ANY:
        value = comparable(path, raw, leaf)
        return [value.isoformat() if hasattr(value, "isoformat") else value]
    out: list[Any] = [raw]
    with contextlib.suppress(ValueError):
        out.append(int(raw) if raw.lstrip("-").isdigit() else float(raw))
    if raw in ("true", "false"):
        out.append(raw == "true")
    return out


def _nested(parts: list[str], lists: tuple[bool, ...], value: Any) -> Any:
    """``{"items": [{"productOffering": {"id": v}}]}``: what a document containing ``value`` there holds."""
    for part, is_list in zip(reversed(parts), reversed(lists), strict=True):
        value = {part: [value] if is_list else value}
    return value


def _contains(doc: Any) -> sa.ColumnElement[bool]:
    return _DOCUMENT.op("@>", return_type=sa.Boolean)(sa.cast(doc, JSONB))


def _jsonpath(parts: list[str]) -> str:
    return "$" + "".join(f".{json.dumps(p)}" for p in parts)


def _typed_date(c: Criterion) -> sa.ColumnElement[bool]:
    """A date the gateway keeps in the document only (startDate ...): compared as a timestamp."""
    stamp = sa.cast(_DOCUMENT[c.path].astext, sa.DateTime(timezone=True))
    values = [comparable(c.path, v) for v in c.values]
    if c.op is Op.EQ:
        return stamp.in_(values)
    if c.op is Op.NE:
        return sa.or_(stamp.is_(None), stamp.not_in(values))
    result: sa.ColumnElement[bool] = getattr(stamp, _ORDERED_OPS[c.op])(values[0])
    return result


def _document_clause(c: Criterion) -> sa.ColumnElement[bool]:
    found = walk(c.kind, c.path)
    assert found is not None  # the criterion checked its path
    leaf, lists = found
    if c.path in DATE_FIELDS:
        return _typed_date(c)
    parts = c.path.split(".")
    if c.op in (Op.EQ, Op.NE):
        wanted = [v for raw in c.values for v in _json_values(leaf, c.path, raw)]
        clause = sa.or_(*(_contains(_nested(parts, lists, v)) for v in wanted))
        if c.path == "items.pointOfNoReturn" and False in wanted:  # an item without the flag has not passed it
            unflagged = "$.items[*] ? (!(exists(@.pointOfNoReturn)))"
            clause = sa.or_(clause, sa.func.jsonb_path_exists(_DOCUMENT, sa.cast(unflagged, JSONPATH)))
        return clause if c.op is Op.EQ else sa.not_(clause)
    value = _json_values(leaf, c.path, c.values[0])[-1 if leaf is Leaf.ANY else 0]
    where = f"{_jsonpath(parts)} ? (@ {_JSONPATH_OPS[c.op]} $v)"
    return sa.func.jsonb_path_exists(_DOCUMENT, sa.cast(where, JSONPATH), sa.cast({"v": value}, JSONB))


def _order_by(keys: tuple[SortKey, ...], postgres: bool) -> list[sa.ColumnElement[Any]]:
    keys = keys or (SortKey("orderDate"), SortKey("id"))
    out = []
    for k in keys:
        if k.path in COLUMNS:
            col: sa.ColumnElement[Any] = COLUMNS[k.path]
        elif k.path in DATE_FIELDS:
            col = sa.cast(_DOCUMENT[k.path].astext, sa.DateTime(timezone=True))
        else:
            col = _DOCUMENT[k.path].astext
        # missing values first ascending, last descending: as sort_documents does
        out.append(col.desc().nulls_last() if k.descending else col.asc().nulls_first())
    return out


async def run_query(conn: AsyncConnection, q: OrderQuery, client_id: str | None) -> tuple[list[Any], int]:
    postgres = conn.dialect.name == "postgresql"
    where: list[sa.ColumnElement[bool]] = []
    if q.kind is not None:
        where.append(t.orders.c.kind == q.kind.value)
    if client_id is not None:
        where.append(t.orders.c.client_id == client_id)
    pushed = [c for c in q.criteria if c.path in COLUMNS or postgres]
    rest = [c for c in q.criteria if c not in pushed]
    where += [_column_clause(c) if c.path in COLUMNS else _document_clause(c) for c in pushed]
    sortable = postgres or all(k.path in COLUMNS for k in q.sort)
    if not rest and sortable:
        total = (
            await conn.execute(sa.select(sa.func.count()).select_from(t.orders).where(*where))
        ).scalar_one()
        stmt = sa.select(_DOCUMENT).where(*where).order_by(*_order_by(q.sort, postgres)).offset(q.offset)
        if q.limit is not None:
            stmt = stmt.limit(q.limit)
        docs = list((await conn.execute(stmt)).scalars())
        return docs, total
    candidates = (await conn.execute(sa.select(_DOCUMENT).where(*where))).scalars()
    docs = [d for d in candidates if all(matches(d, c) for c in rest)]
    sort_documents(docs, q.sort)
    end = None if q.limit is None else q.offset + q.limit
    return docs[q.offset : end], len(docs)
