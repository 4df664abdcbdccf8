"""Migration 0003 keeps what the hub still owes and drops the payloads it no longer needs."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql import migrate
from adapters.sql import tables as t
from adapters.sql.migrate import alembic_config
from adapters.sql.store import SqlaOrderStore
from tests import prefix

PG_SERVER = os.environ.get("ORDERGATE_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1/")


async def _pg_admin(sql: str) -> None:
    import asyncpg

    dsn = PG_SERVER.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + "/postgres"
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no schema yet, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    name = prefix.name("migration")
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rstrip("/") + "/" + name
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _payload(event_id: str, order_id: str) -> str:
    return json.dumps(
        {
            "eventId": event_id,
            "type": "OrderCreate",
            "occurredAt": "2026-01-01T00:00:00Z",
            "orderId": order_id,
            "kind": "serviceOrder",
            "clientId": "alice",
            "state": "acknowledged",
            "order": {"id": order_id},
        }
    )


OLD_ROWS = [  # (subscription, event, order, status)
    ("s1", "e-owed", "o-1", "pending"),
    ("s2", "e-owed", "o-1", "pending"),
    ("s1", "e-sent", "o-2", "delivered"),
]


async def _old_hub(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            for sub in ("s1", "s2"):
                await conn.execute(
                    sa.text(
                        "INSERT INTO hub_subscriptions (id, callback, client_id, created_at)"
                        " VALUES (:id, 'http://hooks.test/', 'alice', :now)"
                    ),
                    {"id": sub, "now": datetime(2026, 1, 1)},
                )
            for sub, event_id, order_id, status in OLD_ROWS:
                await conn.execute(
                    sa.text(
                        "INSERT INTO hub_deliveries (subscription_id, event_id, payload, status, attempts,"
                        " next_attempt_at) VALUES (:s, :e, :p, :status, 0, :now)"
                    ).bindparams(sa.bindparam("p", type_=t.Document)),
                    {
                        "s": sub,
                        "e": event_id,
                        "p": json.loads(_payload(event_id, order_id)),
                        "status": status,
                        "now": datetime(2026, 1, 1),
                    },
                )
    finally:
        await engine.dispose()


async def test_upgrade_moves_owed_payloads_once_and_marks_finished_deliveries(empty_url: str):
    migrate(empty_url, "0002")
    await _old_hub(empty_url)
    migrate(empty_url)
    store = SqlaOrderStore(empty_url, native=False)
    try:
        async with store.engine.connect() as conn:
            events = (await conn.execute(sa.select(t.hub_events.c.event_id))).scalars().all()
            rows = (
                await conn.execute(
                    sa.select(
                        t.hub_deliveries.c.event_id,
                        t.hub_deliveries.c.order_id,
                        t.hub_deliveries.c.finished_at,
                    ).order_by(t.hub_deliveries.c.id)
                )
            ).all()
        assert events == ["e-owed"]  # once, though owed to two subscriptions; the sent one's is gone
        assert [(e, o, f is not None) for e, o, f in rows] == [
            ("e-owed", "o-1", False),
            ("e-owed", "o-1", False),
            ("e-sent", "o-2", True),
        ]
        due = await store.due(datetime.now(UTC), 10)
        assert [(d.subscription.id, d.subscription.state, d.event.order_id) for d in due] == [
            ("s1", "active", "o-1"),
            ("s2", "active", "o-1"),
        ]
    finally:
        await store.close()


def test_downgrade_keeps_the_deliveries_still_owed(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'down.db'}"
    migrate(url, "0002")
    asyncio.run(_old_hub(url))
    migrate(url)
    command.downgrade(alembic_config(url), "0002")
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'down.db'}")
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT subscription_id, event_id, payload FROM hub_deliveries ORDER BY id")
        ).all()
    engine.dispose()
    assert [(s, e, json.loads(p)["orderId"]) for s, e, p in rows] == [
        ("s1", "e-owed", "o-1"),
        ("s2", "e-owed", "o-1"),
    ]
