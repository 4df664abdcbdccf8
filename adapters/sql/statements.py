"""The unit of work's statements, built once per engine.

Every order change runs the same few statements.  On PostgreSQL they are
compiled once and run as driver SQL with their parameters in order:
SQLAlchemy's per-execution work (parameter processing, execution context,
result set-up) cost as much CPU as the database round trip.  The JSON
columns get the text SQLAlchemy's JSON type would have sent (``json.dumps``),
so the rows are the same either way.  SQLite keeps the Core path: its type
processors write dates in SQLite's own text format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.compiler import SQLCompiler

from adapters.sql import tables as t

_JSON_KEYS = frozenset({"document", "payload"})
_ORDER_COLUMNS = [c.name for c in t.orders.c]
_EVENT_COLUMNS = ["event_id", "order_id", "event_type", "payload", "created_at"]

INSERT_ORDER = t.orders.insert()
SELECT_DOCUMENT = sa.select(t.orders.c.document).where(t.orders.c.id == sa.bindparam("key"))
UPDATE_ORDER = t.orders.update().where(
    t.orders.c.id == sa.bindparam("key"), t.orders.c.version == sa.bindparam("read_version")
)
INSERT_EVENT = t.outbox.insert().inline()  # nobody reads the new seq: no RETURNING


class _DriverStatement:
    """One statement compiled for one dialect; parameters go in by name, out in order."""

    def __init__(self, statement: sa.ClauseElement, engine: AsyncEngine, columns: Sequence[str] = ()) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=engine.dialect, column_keys=list(columns)))
        self.sql: str = compiled.string
        self.keys: tuple[str, ...] = tuple(compiled.positiontup or ())

    def parameters(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(json.dumps(values[k]) if k in _JSON_KEYS else values[k] for k in self.keys)


class OrderStatements:
    """The order and outbox statements of a unit of work, by the fastest path the store allows."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._driver = engine.dialect.name == "postgresql"
        if self._driver:
            self._insert_order = _DriverStatement(INSERT_ORDER, engine, _ORDER_COLUMNS)
            self._select_document = _DriverStatement(SELECT_DOCUMENT, engine)
            self._update_order = _DriverStatement(
                UPDATE_ORDER, engine, [c for c in _ORDER_COLUMNS if c != "id"]
            )
            self._insert_event = _DriverStatement(INSERT_EVENT, engine, _EVENT_COLUMNS)

    async def insert_order(self, conn: AsyncConnection, row: Mapping[str, Any]) -> None:
        await self._run(conn, INSERT_ORDER, "_insert_order", row)

    async def select_document(self, conn: AsyncConnection, order_id: str) -> Any:
        """The stored document of an order, or None."""
        result = await self._run(conn, SELECT_DOCUMENT, "_select_document", {"key": order_id})
        return result.scalar_one_or_none()

    async def update_order(self, conn: AsyncConnection, row: Mapping[str, Any], read_version: int) -> int:
        """Rewrite the order of ``row["id"]`` if still at ``read_version``; the rows changed (0 or 1)."""
        values = {k: v for k, v in row.items() if k != "id"}
        values |= {"key": row["id"], "read_version": read_version}
        return (await self._run(conn, UPDATE_ORDER, "_update_order", values)).rowcount

    async def insert_events(self, conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
        if len(rows) == 1:  # the common case: a plain execute, not the executemany path
            await self._run(conn, INSERT_EVENT, "_insert_event", rows[0])
        else:
            await conn.execute(INSERT_EVENT, [dict(r) for r in rows])

    async def _run(
        self, conn: AsyncConnection, statement: sa.Executable, name: str, values: Mapping[str, Any]
    ) -> CursorResult[Any]:
        if not self._driver:
            return await conn.execute(statement, dict(values))
        driver: _DriverStatement = getattr(self, name)
        return await conn.exec_driver_sql(driver.sql, driver.parameters(values))
