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


# -- one client's fan-out must not stall everyone's events (issue: hostile clients, item 3)


class SlowPublisher:
    """Takes ``seconds`` over every batch (a hub fan-out to very many subscriptions, say)."""

    def __init__(self, relay: str, log: list[tuple[str, OrderEvent]], seconds: float) -> None:
        self.relay, self.log, self.seconds = relay, log, seconds
        self.started, self.finished = asyncio.Event(), asyncio.Event()

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        self.started.set()
        await asyncio.sleep(self.seconds)
        self.log.extend((self.relay, event) for event in events)
        self.finished.set()


async def create_orders(store: object, count: int) -> None:
    om = OrderManagement(store)  # type: ignore[arg-type]
    for _ in range(count):
        await om.create_order(ALICE, Kind.RESOURCE, order_value())


async def test_a_batch_that_outlasts_the_lease_keeps_it_and_is_published_once(sql_store):
    await create_orders(sql_store, 10)
    log: list[tuple[str, OrderEvent]] = []
    relays = [
        OutboxRelay(
            sql_store,
            [SlowPublisher(name, log, 0.8)],
            batch=4,
            lease_seconds=0.3,
            batch_seconds=5.0,
            idle_seconds=0.02,
            holder=name,
        )
        for name in ("a", "b")
    ]
    tasks = [asyncio.create_task(relay.run_forever()) for relay in relays]
    try:
        await wait_until_published(sql_store)
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks)
    ids = [e.event_id for _, e in log]
    assert len(ids) == 10
    assert len(set(ids)) == 10, "a batch was published by two holders"


async def test_every_publisher_is_handed_the_batch_at_once(sql_store):
    await create_orders(sql_store, 3)
    log: list[tuple[str, OrderEvent]] = []
    slow, fast = SlowPublisher("hub", log, 1.0), SlowPublisher("amqp", log, 0.0)
    relay = OutboxRelay(sql_store, [slow, fast])
    publishing = asyncio.create_task(relay.run_once())
    await asyncio.wait_for(fast.finished.wait(), 0.9)
    assert not slow.finished.is_set(), "the fast channel waited for the slow one"
    assert await publishing == 3


class StuckPublisher:
    """Never finishes a batch of more than ``most`` events (it is cancelled instead)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.published: list[OrderEvent] = []
        self.cancelled = 0

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        if len(events) > self.most:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
        self.published.extend(events)


class CostlyPublisher:
    """Takes ``seconds`` per event: a batch's time grows with its size."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.published: list[OrderEvent] = []
        self.cancelled: list[int] = []

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        try:
            await asyncio.sleep(self.seconds * len(events))
        except asyncio.CancelledError:
            self.cancelled.append(len(events))
            raise
        self.published.extend(events)


async def test_a_batch_out_of_time_is_abandoned_and_the_next_is_smaller(sql_store):
    await create_orders(sql_store, 12)
    costly = CostlyPublisher(0.05)
    relay = OutboxRelay(sql_store, [costly], batch=8, batch_seconds=0.3, idle_seconds=0.01)
    task = asyncio.create_task(relay.run_forever())
    try:
        await wait_until_published(sql_store, seconds=10)
    finally:
        relay.stop()
        await task
    assert costly.cancelled == [8]  # 0.4 s: out of time; batches of 4 (0.2 s) were not
    assert [e.seq for e in costly.published] == sorted(e.seq for e in costly.published)
    assert len({e.event_id for e in costly.published}) == 12


class LeaseTakenOver:
    """The outbox feed of a relay whose lease another holder takes once it was granted once."""

    def __init__(self, store: object) -> None:
        self.store, self.granted = store, 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    async def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        self.granted += 1
        return self.granted == 1


async def test_a_relay_that_loses_its_lease_stops_publishing_and_removes_nothing(sql_store):
    await create_orders(sql_store, 2)
    stuck = StuckPublisher(most=0)
    relay = OutboxRelay(LeaseTakenOver(sql_store), [stuck], lease_seconds=0.3, batch_seconds=5.0)  # type: ignore[arg-type]
    assert await asyncio.wait_for(relay.run_once(), 2.0) == 0
    assert stuck.cancelled == 1
    assert len(await sql_store.unpublished(10)) == 2
