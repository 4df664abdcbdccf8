"""Transactional settling and the database backoff, without a broker (a recording channel)."""

from __future__ import annotations

import asyncio

import aiormq
import pytest

from adapters.amqp.listener import Backoff
from adapters.amqp.settle import Outgoing, TransactionalSettler


class RecordingChannel:
    """What a settler sends, frame by frame; a commit takes a moment, as on the wire."""

    def __init__(self, fail_commit: bool = False) -> None:
        self.frames: list[tuple[str, object]] = []
        self.is_closed = False
        self._fail = fail_commit

    async def tx_select(self) -> None:
        self.frames.append(("select", None))

    async def basic_publish(
        self, body: bytes, *, exchange: str, routing_key: str, properties: object, wait: bool = True
    ) -> None:
        self.frames.append(("publish", routing_key))

    async def basic_ack(self, delivery_tag: int, wait: bool = True) -> None:
        self.frames.append(("ack", delivery_tag))

    async def basic_nack(self, delivery_tag: int, requeue: bool, wait: bool = True) -> None:
        self.frames.append(("nack", delivery_tag))

    async def tx_commit(self) -> None:
        await asyncio.sleep(0.01)
        if self._fail:
            raise ConnectionError("connection lost")
        self.frames.append(("commit", None))

    async def close(self) -> None:
        self.is_closed = True


def reply(to: str) -> Outgoing:
    return Outgoing(to, b"<x/>", aiormq.spec.Basic.Properties())


async def test_each_delivery_is_published_and_acked_in_one_transaction_and_concurrent_ones_grouped():
    channel = RecordingChannel()
    settler = TransactionalSettler(channel, timeout=5)  # type: ignore[arg-type]
    await settler.settle(1, [reply("a")])
    await asyncio.gather(*(settler.settle(tag, [reply(f"r{tag}")]) for tag in (2, 3, 4)))  # one commit
    await settler.settle(5, requeue=True)
    assert channel.frames == [
        ("select", None),
        ("publish", "a"),
        ("ack", 1),
        ("commit", None),
        ("publish", "r2"),
        ("ack", 2),
        ("publish", "r3"),
        ("ack", 3),
        ("publish", "r4"),
        ("ack", 4),
        ("commit", None),
        ("nack", 5),
        ("commit", None),
    ]


async def test_a_failed_commit_fails_every_settlement_in_it_and_closes_the_channel():
    channel = RecordingChannel(fail_commit=True)
    settler = TransactionalSettler(channel, timeout=5)  # type: ignore[arg-type]
    results = await asyncio.gather(
        settler.settle(1, [reply("a")]), settler.settle(2, [reply("b")]), return_exceptions=True
    )
    assert all(isinstance(r, ConnectionError) for r in results)
    assert channel.is_closed  # its deliveries go back to the queue; nothing rides on a later commit


async def test_the_backoff_pauses_every_request_together_and_doubles_while_the_database_stays_down(
    monkeypatch: pytest.MonkeyPatch,
):
    now = [100.0]
    monkeypatch.setattr("adapters.amqp.listener.time.monotonic", lambda: now[0])
    backoff = Backoff(first=0.5, most=2.0)
    backoff.failed()
    backoff.failed()  # the same outage seen by another request: the same pause
    assert backoff._until == 100.5
    now[0] = 101.0
    backoff.failed()
    assert backoff._until == 102.0
    now[0] = 103.0
    backoff.failed()
    now[0] = 106.0
    backoff.failed()
    assert backoff._delay == 2.0  # at most
    backoff.succeeded()
    assert backoff._until == 0.0
