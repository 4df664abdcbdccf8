"""Two outbox relays on one database while orders change: nothing lost, order kept.

Relay ``a`` is cancelled in the middle of a batch (its events may be published
without leaving the outbox: at least once, so ``b`` publishes them again), and a
third holder that vanished without releasing the lease holds it at the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence

import sqlalchemy as sa

from adapters.sql import tables as t
from core.domain.events import OrderEvent
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from core.usecases.relay import OutboxRelay
from tests.builders import ALICE, NOC, order_value

ORDERS = 12


class RecordingPublisher:
    """Accepts every event, noting which relay published it and when."""

    def __init__(self, relay: str, log: list[tuple[str, OrderEvent]]) -> None:
        self.relay, self.log = relay, log
        self.busy = asyncio.Event()

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        self.busy.set()
        # a real channel takes a while: writers and relays interleave, and relay "a"
        # is still at it when it is cancelled
        await asyncio.sleep(0.01)
        self.log.extend((self.relay, event) for event in events)


async def work_on_one_order(om: OrderManagement, n: int) -> None:
    order = await om.create_order(ALICE, Kind.RESOURCE, order_value("i1", "i2"))
    await om.start_order(ALICE, None, order.id)
    await om.set_order(ALICE, None, order.id, {"description": f"order {n}"})
    await om.change_order_item_state(NOC, None, order.id, "i1", State.COMPLETED)
    await om.change_order_item_state(NOC, None, order.id, "i2", State.FAILED if n % 2 else State.COMPLETED)


async def wait_until_published(store: object, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while await store.unpublished(1):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the relays left events unpublished"
        await asyncio.sleep(0.05)


async def test_two_relays_publish_every_event_in_order_per_order(sql_store):
    om = OrderManagement(sql_store)
    log: list[tuple[str, OrderEvent]] = []
    assert await sql_store.acquire_lease(OutboxRelay.LEASE, "vanished-process", 0.3)
    publishers = {name: RecordingPublisher(name, log) for name in ("a", "b")}
    relays = {
        name: OutboxRelay(sql_store, [pub], batch=4, lease_seconds=0.5, idle_seconds=0.02, holder=name)
        for name, pub in publishers.items()
    }
    tasks = {"a": asyncio.create_task(relays["a"].run_forever())}
    try:
        writers = asyncio.gather(*(work_on_one_order(om, n) for n in range(ORDERS)))
        await asyncio.wait_for(publishers["a"].busy.wait(), 10)
        tasks["b"] = asyncio.create_task(relays["b"].run_forever())  # waits: "a" holds the lease
        await asyncio.sleep(0.05)
        tasks["a"].cancel()  # mid-batch, as a process dying between publish and mark
        await writers
        await wait_until_published(sql_store)
    finally:
        for task in tasks.values():
            task.cancel()
        for task in tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async with sql_store.engine.connect() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(t.outbox))).scalar_one()
    assert left == 0, "published events stay in the outbox"
    per_order: dict[str, set[str]] = {}
    for _, e in log:
        per_order.setdefault(e.order_id, set()).add(e.event_id)
    assert len(per_order) == ORDERS
    assert all(len(ids) == 5 for ids in per_order.values()), "events lost"
    assert {relay for relay, _ in log} == {"a", "b"}, "no hand-over happened"
    first_seen: dict[str, list[int]] = {}
    seen: set[str] = set()
    for _, e in log:
        if e.event_id not in seen:
            seen.add(e.event_id)
            first_seen.setdefault(e.order_id, []).append(e.seq or 0)
    for order_id, seqs in first_seen.items():
        assert seqs == sorted(seqs), f"events of {order_id} published out of order: {seqs}"
