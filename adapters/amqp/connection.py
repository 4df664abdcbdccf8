"""Broker connections: checked before the gateway relies on them, then robust (they come back by
themselves after the broker restarts).

What the broker says at start is sorted in two: a refusal (wrong user or
password, a vhost that does not exist or is not the user's) is final -- no
retry helps, and a robust connection would try every second forever with a
message such as ``got <Connection.Close ...>`` -- while anything else
(refused connection, unknown host, timeout) may pass, and is retried by the
caller for a bounded time.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast
from urllib.parse import unquote

import aio_pika
import aiormq.exceptions
from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustConnection
from aio_pika.connection import make_url
from aiormq.connection import Connection, TCPTransportFactory, TLSTransportFactory, TransportFactory
from yarl import URL

from adapters.amqp.config import AmqpSettings

# The client library bounds a connection's queue of outgoing frames (ten by
# default) and makes a publisher that finds it full wait for room while holding
# its channel's lock: a batch of events in flight at once then leaves one frame
# per turn of the event loop, each a send of its own.  Room for what the gateway
# puts in flight at once (a relay batch of 100 events; a settlement of up to a
# prefetch of replies and acks), and still a bound.
Connection.FRAME_BUFFER_SIZE = 1024


class CoalescingWriter:
    """A stream writer that sends what is written in one turn of the event loop with one system call.

    The client library writes every frame by itself: a reply, its ack and the
    commit of their transaction, or a batch of events, are several frames
    written one after another, each a ``send`` of its own.  Held until the
    loop's next turn, they go out together, in the order written -- fewer
    system calls here and fewer reads for the broker.  ``drain`` and
    ``close`` send what is held first.
    """

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._held: list[bytes] = []
        self._failed: BaseException | None = None
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        self._raise_failure()
        if not self._held:
            self._loop.call_soon(self._flush_later)
        self._held.append(data)

    def flush(self) -> None:
        if not self._held:
            return
        held, self._held = self._held, []
        if not self._writer.is_closing():
            self._writer.write(held[0] if len(held) == 1 else b"".join(held))

    def _flush_later(self) -> None:
        try:
            self.flush()
        except Exception as error:  # the writer's next write or drain raises it, as a write would have
            self._failed = error

    def _raise_failure(self) -> None:
        if self._failed is not None:
            raise self._failed

    async def drain(self) -> None:
        self._raise_failure()
        self.flush()
        await self._writer.drain()

    def write_eof(self) -> None:
        self.flush()
        self._writer.write_eof()

    def close(self) -> None:
        self.flush()
        self._writer.close()

    def __getattr__(self, name: str) -> Any:  # is_closing, wait_closed, transport, ...
        return getattr(self._writer, name)


class CoalescingTransportFactory(TransportFactory):
    """The client library's transport for the URL's scheme, its writer a ``CoalescingWriter``."""

    def __init__(self, scheme: str) -> None:
        self._inner: TransportFactory = TLSTransportFactory() if scheme == "amqps" else TCPTransportFactory()

    async def create(self, url: URL, **kwargs: Any) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await self._inner.create(url, **kwargs)
        return reader, cast(asyncio.StreamWriter, CoalescingWriter(writer))


def robust_connection(settings: AmqpSettings, purpose: str) -> AbstractRobustConnection:
    """A robust connection, not yet connected: ``await connection.connect()`` waits, retrying,
    until the broker is reachable however long that takes (the gateway may start before its
    broker), and ``close()`` stops it at any point, even while it is still trying."""
    url = make_url(settings.url)
    connection = RobustConnection(
        url,
        client_properties={"connection_name": f"ordergate {purpose}"},
        reconnect_interval=settings.reconnect_seconds,
        fail_fast=False,
    )
    # Handed to the client library's connection on every (re)connect, as the TLS context is.
    connection.kwargs["transport_factory"] = CoalescingTransportFactory(URL(url).scheme)
    return connection


def is_connected(connection: AbstractRobustConnection | None) -> bool:
    return connection is not None and not connection.is_closed and connection.connected.is_set()


SCHEMES = ("amqp", "amqps")
EXAMPLE = "amqp://user:password@host:5672/vhost"


def safe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    try:
        return str(URL(url).with_password(None))
    except (ValueError, TypeError):
        return url.split("@")[-1] if "@" in url else url


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the gateway's broker, with the fix; None when it can."""
    try:
        parsed = URL(url)
        parsed.port  # noqa: B018 -- a port that is no number raises here
    except (ValueError, TypeError):
        return f"{safe_url(url)!r} is not a broker URL: expected {EXAMPLE}"
    if parsed.scheme not in SCHEMES:
        scheme = f"{parsed.scheme}://" if parsed.scheme else "no scheme"
        return f"{safe_url(url)} begins with {scheme}: write amqp:// (amqps:// for TLS), e.g. {EXAMPLE}"
    if not parsed.host:
        return f"{safe_url(url)} names no host: expected {EXAMPLE}"
    return None


def vhost_of(url: str) -> str:
    path = URL(url).raw_path
    return unquote(path[1:]) if len(path) > 1 else "/"


def refusal(error: BaseException, url: str) -> str | None:
    """Why the broker refuses this gateway for good (no retry helps); None for a failure that may pass."""
    user = URL(url).user or "guest"
    if isinstance(
        error, aiormq.exceptions.ProbableAuthenticationError | aiormq.exceptions.AuthenticationError
    ):
        return f"the broker refused user {user!r}: wrong user name or password"
    if isinstance(error, aiormq.exceptions.InvalidFrameError) and "Connection.OpenOk" in str(error):
        # the broker closed the connection when asked for the vhost: the reply text is not kept
        vhost = vhost_of(url)
        return f"the broker refused vhost {vhost!r} to user {user!r}: it does not exist or the user has no permission on it"
    if isinstance(error, aiormq.exceptions.ChannelAccessRefused):
        return f"the broker refused user {user!r} access to the gateway's queues and exchange: {error}"
    return None


async def connect_once(url: str, connect_seconds: float) -> aio_pika.abc.AbstractConnection:
    """One plain connection attempt (no reconnecting), for start-up checks."""
    return await aio_pika.connect(url, timeout=connect_seconds)


async def declare_dead_letter_queue(
    connection: aio_pika.abc.AbstractConnection, settings: AmqpSettings
) -> str | None:
    """Declare the dead-letter queue with its bounds, on channels of its own; a warning to log, or None.

    A dead-letter queue declared by an earlier version has no bounds, and the
    broker refuses to redeclare it with them: when it accepts the declaration
    without them, the queue is used as it is, and the warning says how to bound
    it.  Any other difference (a queue of the other type) is the broker's
    refusal, raised.
    """
    try:
        await _declare(connection, settings.dead_letter_queue, settings.dead_letter_arguments)
    except aiormq.exceptions.ChannelPreconditionFailed:
        await _declare(connection, settings.dead_letter_queue, settings.queue_arguments)
        return (
            f"the dead-letter queue {settings.dead_letter_queue} was declared without the bounds this"
            " version gives it (by an earlier version, or by hand); it is used as it is, unbounded: read"
            " what it holds, delete it and restart to bound it, or set a max-length policy"
            " (docs/operations.md)"
        )
    return None


async def _declare(connection: aio_pika.abc.AbstractConnection, queue: str, arguments: Any) -> None:
    channel = await connection.channel()
    try:
        await channel.declare_queue(queue, durable=True, arguments=arguments)
    finally:
        if not channel.is_closed:
            await channel.close()
