"""On PostgreSQL units of work run on asyncpg: the rows must be what the SQLAlchemy Core path writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from core.domain.errors import DuplicateKey
from core.domain.model import Caller, Kind, Order, Role
from core.domain.states import State
from core.usecases import OrderManagement

VALUE = {
    "externalId": "ext-1",
    "priority": "high",
    "requestedCompletionDate": "2030-01-02T03:04:05Z",
    "items": [
        {
            "id": "1",
            "action": "add",
            "entity": {"specification": {"id": "fibre"}, "characteristics": [{"name": "a", "value": "1"}]},
        },
        {
            "id": "2",
            "action": "add",
            "entity": {"specification": {"id": "router"}},
            "relationships": [{"type": "dependsOn", "itemId": "1"}],
        },
    ],
}
NOW = datetime(2029, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
FULFILLER = Caller("ops", frozenset({Role.FULFILLER}))


async def _lifecycle(store: SqlaOrderStore, order_id: str) -> None:
    om = OrderManagement(store, clock=lambda: NOW, new_id=lambda: order_id)
    await om.create_order(Caller("acme"), Kind.SERVICE, VALUE)
    await om.start_order(Caller("acme"), Kind.SERVICE, order_id)
    done = await om.change_order_item_state(FULFILLER, None, order_id, "1", State.COMPLETED)
    assert done.version == 3
    # two cancel tasks: one denied, one under way (rows written, then moved)
    await om.abort_order(Caller("acme"), None, order_id, "moved", requested=NOW)
    await om.run_operation(FULFILLER, None, order_id, "denyCancellation", "too late")
    await om.abort_order(Caller("acme"), None, order_id, "moved again")
    await om.run_operation(FULFILLER, None, order_id, "acceptCancellation")


async def _stored(store: SqlaOrderStore, order_id: str) -> dict[str, object]:
    async with store.engine.connect() as conn:
        row = (await conn.execute(sa.select(t.orders).where(t.orders.c.id == order_id))).one()._asdict()
        events = (
            await conn.execute(
                sa.select(t.outbox.c.event_type, t.outbox.c.payload, t.outbox.c.created_at)
                .where(t.outbox.c.order_id == order_id)
                .order_by(t.outbox.c.seq)
            )
        ).all()
        tasks = (
            await conn.execute(
                sa.select(t.cancel_tasks)
                .where(t.cancel_tasks.c.order_id == order_id)
                .order_by(t.cancel_tasks.c.position)
            )
        ).all()
    row.pop("id")
    row["document"].pop("id")
    payloads = []
    for event_type, payload, _created in events:
        for key in ("eventId", "orderId"):
            payload.pop(key)
        payload["order"].pop("id")
        if "taskId" in payload:  # <order id>~<position>: the position is what may differ
            payload["taskId"] = payload["taskId"].rpartition("~")[2]
        payloads.append((event_type, payload))
    assert [(task.state, task.reason) for task in tasks] == [
        ("terminatedWithError", "moved"),
        ("inProgress", "moved again"),
    ]
    return {"order": row, "events": payloads, "tasks": [task._asdict() | {"order_id": None} for task in tasks]}


@pytest.mark.postgres
async def test_asyncpg_and_core_units_of_work_write_the_same_rows(pg_url):
    fast = SqlaOrderStore(pg_url, pool_size=2)
    core = SqlaOrderStore(pg_url, pool_size=2, native=False)  # the Core path, as on SQLite
    try:
        await _lifecycle(fast, "via-asyncpg")
        await _lifecycle(core, "via-core")
        assert await _stored(fast, "via-asyncpg") == await _stored(core, "via-core")
    finally:
        await fast.close()
        await core.close()


@pytest.mark.postgres
async def test_an_atomic_bulk_create_larger_than_one_statement_can_carry(pg_url):
    """Past PostgreSQL's 32767 parameters per statement the writes go in one transaction of
    several statements: all of them, in event order, or none."""
    store = SqlaOrderStore(pg_url, pool_size=2)
    om = OrderManagement(store)
    values = [{**VALUE, "externalId": f"big-{n}"} for n in range(2000)]  # 13 + 5 parameters each
    try:
        await om.create_order(Caller("acme"), Kind.SERVICE, {**VALUE, "id": "taken"})
        with pytest.raises(DuplicateKey, match=r"order \[1999\]: an order with id 'acme~taken' exists"):
            await om.create_orders(
                Caller("acme"), Kind.SERVICE, [*values[:-1], {**values[-1], "id": "taken"}]
            )
        created = await om.create_orders(Caller("acme"), Kind.SERVICE, values)
        assert len(created) == 2000
        async with store.engine.connect() as conn:
            rows = (
                (
                    await conn.execute(
                        sa.select(t.outbox.c.order_id)
                        .where(t.outbox.c.order_id.in_([o.id for o in created]))
                        .order_by(t.outbox.c.seq)
                    )
                )
                .scalars()
                .all()
            )
            stored = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.orders)
                    .where(t.orders.c.external_id.like("big-%"))
                )
            ).scalar_one()
        assert rows == [o.id for o in created]  # one OrderCreate each, in input order
        assert stored == 2000  # the refused bulk left nothing behind
    finally:
        await store.close()


async def _external_ids(store: SqlaOrderStore, prefix: str) -> list[str]:
    async with store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.orders.c.external_id).where(t.orders.c.external_id.like(f"{prefix}%"))
        )
        return sorted(rows.scalars())


@pytest.mark.postgres
async def test_creates_committed_together_each_get_their_own_outcome(pg_url):
    """Creates that reach commit in one turn go as one statement; one refused (its id is
    taken) fails alone, and every other one is written, with its event."""
    store = SqlaOrderStore(pg_url, pool_size=2)
    om = OrderManagement(store)
    acme = Caller("acme")
    try:
        await om.create_order(acme, Kind.SERVICE, {**VALUE, "id": "together-taken"})
        values = [{**VALUE, "externalId": f"together-{n}"} for n in range(20)]
        values[7] = {**values[7], "id": "together-taken"}
        outcomes = await asyncio.gather(
            *(om.create_order(acme, Kind.SERVICE, v) for v in values), return_exceptions=True
        )
        assert isinstance(outcomes[7], DuplicateKey)
        assert outcomes[7].key == "acme~together-taken"  # the id a client chose is in its namespace
        assert all(not isinstance(o, BaseException) for n, o in enumerate(outcomes) if n != 7)
        written = await _external_ids(store, "together-")
        assert written == sorted(f"together-{n}" for n in range(20) if n != 7)
        async with store.engine.connect() as conn:
            events = (
                await conn.execute(
                    sa.select(sa.func.count())
                    .select_from(t.outbox)
                    .where(t.outbox.c.order_id.in_([o.id for o in outcomes if isinstance(o, Order)]))
                )
            ).scalar_one()
        assert events == 19
    finally:
        await store.close()


@pytest.mark.postgres
async def test_a_create_cancelled_while_waiting_for_its_turn_writes_nothing(pg_url):
    store = SqlaOrderStore(pg_url, pool_size=2)
    om = OrderManagement(store)
    try:
        kept = asyncio.create_task(
            om.create_order(Caller("acme"), Kind.SERVICE, {**VALUE, "externalId": "turn-kept"})
        )
        dropped = asyncio.create_task(
            om.create_order(Caller("acme"), Kind.SERVICE, {**VALUE, "externalId": "turn-dropped"})
        )
        await asyncio.sleep(0)  # both drafted and waiting for the statement of this turn
        dropped.cancel()
        await kept
        with pytest.raises(asyncio.CancelledError):
            await dropped
        assert await _external_ids(store, "turn-") == ["turn-kept"]
    finally:
        await store.close()
