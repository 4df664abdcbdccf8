"""The migrations build the schema the code uses, and upgrade a database that holds data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql import migrate
from adapters.sql import tables as t
from adapters.sql.store import order_row
from core.domain import lifecycle
from core.domain.cancel_tasks import tasks
from core.domain.model import Caller, EntityRef, ItemAction, Kind, Order, OrderItem, Role, SpecificationRef
from tests.conftest import create_database, drop_database


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


def _cancelled_orders() -> list[Order]:
    """An order with a denied cancel and one under way, one never cancelled, one abandoned."""
    client, noc = Caller("acme"), Caller("noc", frozenset({Role.FULFILLER}))
    at = datetime(2030, 1, 1, tzinfo=UTC)

    def order(order_id: str, *moves: tuple[Caller, str, str | None]) -> Order:
        items = [OrderItem("1", ItemAction.ADD, EntityRef(specification=SpecificationRef("x")))]
        made = Order(order_id, Kind.SERVICE, "acme", "ServiceOrder", items, order_date=at)
        for caller, operation, reason in moves:
            lifecycle.run_order_operation(made, operation, caller, at, reason)
        return made

    return [
        order(
            "twice",
            (client, "start", None),
            (client, "cancel", "a"),
            (noc, "denyCancellation", "no"),
            (client, "cancel", "b"),
        ),
        order("never", (client, "start", None)),
        order("abandoned", (client, "start", None), (noc, "hold", None), (noc, "abandon", "no permit")),
    ]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_upgrade_finds_the_cancel_tasks_of_the_orders_already_stored(database, tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}" if database == "sqlite" else create_database()
    orders = _cancelled_orders()
    engine = create_async_engine(url)
    try:
        migrate(url, "0005")
        async with engine.begin() as conn:
            await conn.execute(t.orders.insert(), [order_row(o) for o in orders])
        migrate(url)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.select(t.cancel_tasks).order_by("order_id", "position"))).all()
        stored = [(r.order_id, r.position, r.state, r.reason, r.decided_reason) for r in rows]
        assert stored == [
            ("abandoned", 5, "done", "no permit", "no permit"),
            ("twice", 2, "terminatedWithError", "a", "no"),
            ("twice", 4, "acknowledged", "b", None),
        ]
        assert stored == sorted(
            (x.order_id, x.position, x.state, x.reason, x.decided_reason) for o in orders for x in tasks(o)
        )
    finally:
        await engine.dispose()
        if database == "postgres":
            drop_database(url)
