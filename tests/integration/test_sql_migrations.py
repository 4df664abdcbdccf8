"""The migrations build the schema the code uses, and upgrade a database that holds data."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql import migrate
from adapters.sql import tables as t


def _on(dialect: str) -> object:
    """Compare only what the code declares for this database (a GIN index is PostgreSQL's alone)."""

    def include(obj: object, *_: object) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return condition is None or condition.dialect in (None, dialect)

    return include


async def _drift(url: str) -> list[object]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"include_object": _on(c.dialect.name)}), t.metadata
                )
            )
    finally:
        await engine.dispose()


async def test_migrated_sqlite_schema_is_the_schema_of_the_code(sqlite_url):
    assert await _drift(sqlite_url) == []


async def test_migrated_postgres_schema_is_the_schema_of_the_code(pg_url):
    assert await _drift(pg_url) == []


async def test_upgrade_keeps_the_events_still_owed_and_outbox_positions_are_never_reused(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    migrate(url, "0001")
    engine = create_async_engine(url)
    insert = sa.text(
        "INSERT INTO outbox (event_id, order_id, event_type, payload, created_at, published_at)"
        " VALUES (:e, 'o-1', 'OrderCreate', '{}', '2026-01-01', :p)"
    )
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert,
                [
                    {"e": "sent", "p": "2026-01-01"},
                    {"e": "owed", "p": None},
                    {"e": "last", "p": "2026-01-01"},
                ],
            )
        await engine.dispose()
        migrate(url)
        async with engine.begin() as conn:
            rows = (await conn.execute(sa.select(t.outbox.c.seq, t.outbox.c.event_id))).all()
            assert [tuple(r) for r in rows] == [(2, "owed")]
            await conn.execute(t.outbox.delete())  # as the relay does once it is published
            await conn.execute(
                t.outbox.insert().values(
                    event_id="next",
                    order_id="o-1",
                    event_type="OrderCreate",
                    payload={},
                    created_at=sa.func.now(),
                )
            )
            assert (await conn.execute(sa.select(t.outbox.c.seq))).scalar_one() == 4  # 3 was the last's
    finally:
        await engine.dispose()
