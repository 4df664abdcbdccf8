"""Cancel tasks on SQL: the ``cancel_tasks`` rows written with an order's change, and the listing.

A change that began or moved a task (``core.domain.cancel_tasks.touched``) writes all the order's
tasks again, as one upsert in the change's own transaction; a change that did not writes nothing.
The rows go with their order (a foreign key, ``ON DELETE CASCADE``: removed or archived).  A
listing is one indexed range of the caller's tasks and its count: no order is read.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc
from core.domain.cancel_tasks import CancelTask, CancelTaskPage, CancelTaskQuery
from core.domain.model import Kind

COLUMNS = (
    "order_id",
    "position",
    "kind",
    "client_id",
    "state",
    "created_at",
    "reason",
    "requested",
    "decided_at",
    "decided_reason",
)
_MOVING = ("state", "decided_at", "decided_reason")  # what a later change of a task may alter
_PG_TYPES = (
    "varchar",
    "integer",
    "varchar",
    "varchar",
    "varchar",
    "timestamp",
    "text",
    "timestamp",
    "timestamp",
    "text",
)


def row(task: CancelTask) -> tuple[Any, ...]:
    """A task's column values, in ``COLUMNS`` order."""
    return (
        task.order_id,
        task.position,
        task.kind.value,
        task.client_id,
        task.state,
        naive_utc(task.created_at),
        task.reason,
        naive_utc(task.requested),
        naive_utc(task.decided_at),
        task.decided_reason,
    )


@functools.lru_cache(maxsize=64)
def upsert_sql(count: int) -> str:
    """PostgreSQL: ``count`` tasks written (new, or moved), placeholders $1.. of its own.  An
    INSERT ... SELECT, so that a guard of the unit of work can hold it back."""
    width = len(COLUMNS)
    values = ", ".join(
        "(" + ", ".join(f"${n * width + i + 1}::{kind}" for i, kind in enumerate(_PG_TYPES)) + ")"
        for n in range(count)
    )
    return f"INSERT INTO cancel_tasks ({', '.join(COLUMNS)}) SELECT * FROM (VALUES {values}) AS v ({', '.join(COLUMNS)})"


UPSERT_TAIL = " ON CONFLICT (order_id, position) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in _MOVING
)


async def write(conn: AsyncConnection, tasks: Sequence[CancelTask]) -> None:
    """SQLAlchemy Core: the tasks written (new, or moved) on ``conn``."""
    if not tasks:
        return
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(t.cancel_tasks).values([dict(zip(COLUMNS, row(task), strict=True)) for task in tasks])
    await conn.execute(
        statement.on_conflict_do_update(
            index_elements=[t.cancel_tasks.c.order_id, t.cancel_tasks.c.position],
            set_={c: statement.excluded[c] for c in _MOVING},
        )
    )


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _task(m: Any) -> CancelTask:
    created = _aware(m["created_at"])
    assert created is not None
    return CancelTask(
        order_id=m["order_id"],
        position=m["position"],
        kind=Kind(m["kind"]),
        client_id=m["client_id"],
        state=m["state"],
        created_at=created,
        reason=m["reason"],
        requested=_aware(m["requested"]),
        decided_at=_aware(m["decided_at"]),
        decided_reason=m["decided_reason"],
    )


async def listing(
    conn: AsyncConnection, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
) -> CancelTaskPage:
    c = t.cancel_tasks.c
    where: list[Any] = [c.kind == query.kind.value]
    if client_id is not None:
        where.append(c.client_id == client_id)
    if order_ids:
        where.append(c.order_id.in_(sorted(order_ids)))
    if query.states:
        where.append(c.state.in_(sorted(query.states)))
    page = (
        sa.select(t.cancel_tasks)
        .where(*where)
        .order_by(c.created_at, c.order_id, c.position)
        .offset(query.offset)
        .limit(query.limit)
    )
    found = [_task(r._mapping) for r in await conn.execute(page)]
    if query.offset == 0 and len(found) < query.limit:
        total = len(found)
    else:
        total = (
            await conn.execute(sa.select(sa.func.count()).select_from(t.cancel_tasks).where(*where))
        ).scalar_one()
    return CancelTaskPage(found, total)
