"""Order queries on SQL: criteria on indexed columns run in the database;
anything else (nested item paths, free text) is evaluated on the candidate
documents with the core's reference ``matches``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc
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


def _clause(c: Criterion) -> sa.ColumnElement[bool]:
    col = COLUMNS[c.path]
    values = [comparable(c.path, v) for v in c.values]
    values = [naive_utc(v) if hasattr(v, "tzinfo") else v for v in values]
    if c.op is Op.EQ:
        return col.in_(values)
    if c.op is Op.NE:
        return sa.or_(col.is_(None), col.not_in(values))
    result: sa.ColumnElement[bool] = getattr(col, _ORDERED_OPS[c.op])(values[0])
    return result


def _order_by(keys: tuple[SortKey, ...]) -> list[sa.ColumnElement[Any]]:
    keys = keys or (SortKey("orderDate"), SortKey("id"))
    out = []
    for k in keys:
        col = COLUMNS[k.path]
        # missing values first ascending, last descending: as sort_documents does
        out.append(col.desc().nulls_last() if k.descending else col.asc().nulls_first())
    return out


async def run_query(conn: AsyncConnection, q: OrderQuery, client_id: str | None) -> tuple[list[Any], int]:
    where: list[sa.ColumnElement[bool]] = []
    if q.kind is not None:
        where.append(t.orders.c.kind == q.kind.value)
    if client_id is not None:
        where.append(t.orders.c.client_id == client_id)
    pushed = [c for c in q.criteria if c.path in COLUMNS]
    rest = [c for c in q.criteria if c.path not in COLUMNS]
    where += [_clause(c) for c in pushed]
    sortable = all(k.path in COLUMNS for k in q.sort)
    if not rest and sortable:
        total = (
            await conn.execute(sa.select(sa.func.count()).select_from(t.orders).where(*where))
        ).scalar_one()
        stmt = sa.select(t.orders.c.document).where(*where).order_by(*_order_by(q.sort)).offset(q.offset)
        if q.limit is not None:
            stmt = stmt.limit(q.limit)
        docs = list((await conn.execute(stmt)).scalars())
        return docs, total
    candidates = (await conn.execute(sa.select(t.orders.c.document).where(*where))).scalars()
    docs = [d for d in candidates if all(matches(d, c) for c in rest)]
    sort_documents(docs, q.sort)
    end = None if q.limit is None else q.offset + q.limit
    return docs[q.offset : end], len(docs)
