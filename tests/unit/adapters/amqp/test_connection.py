"""What the gateway writes to the broker in one turn of the event loop leaves in one send."""

from __future__ import annotations

import asyncio

import pytest

from adapters.amqp.connection import CoalescingWriter


class RecordingWriter:
    def __init__(self) -> None:
        self.sends: list[bytes] = []
        self.drained = 0
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sends.append(bytes(data))

    async def drain(self) -> None:
        self.drained += 1

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


async def test_frames_written_in_one_turn_go_out_together_in_order():
    inner = RecordingWriter()
    writer = CoalescingWriter(inner)  # type: ignore[arg-type]
    for frame in (b"publish", b"ack", b"commit"):
        writer.write(frame)
    assert inner.sends == []  # held until the loop's next turn
    await asyncio.sleep(0)
    assert inner.sends == [b"publishackcommit"]
    writer.write(b"next")
    await asyncio.sleep(0)
    assert inner.sends == [b"publishackcommit", b"next"]


async def test_drain_and_close_send_what_is_held_first():
    inner = RecordingWriter()
    writer = CoalescingWriter(inner)  # type: ignore[arg-type]
    writer.write(b"a")
    await writer.drain()
    assert inner.sends == [b"a"]
    assert inner.drained == 1
    writer.write(b"b")
    writer.close()
    assert inner.sends == [b"a", b"b"]
    assert inner.closed
    await asyncio.sleep(0)  # the turn's own flush finds nothing left
    assert inner.sends == [b"a", b"b"]
    assert writer.is_closing()  # everything else is the stream writer's own


async def test_a_send_that_failed_after_the_turn_fails_the_next_write_and_drain():
    class Broken(RecordingWriter):
        def write(self, data: bytes) -> None:
            raise ConnectionResetError("gone")

    writer = CoalescingWriter(Broken())  # type: ignore[arg-type]
    writer.write(b"frame")
    await asyncio.sleep(0)
    with pytest.raises(ConnectionResetError):
        await writer.drain()
    with pytest.raises(ConnectionResetError):
        writer.write(b"next")
