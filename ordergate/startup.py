"""Before the gateway serves: its port, its database, its schema and its broker, each checked.

Every misstep ends in ``StartupError``: one line for the operator, and the
command's exit code --

* ``2`` (``MISCONFIGURED``): no retry can help -- a port in use, a host that
  does not resolve, an unreadable credentials file, a schema behind (on
  PostgreSQL) or ahead of the code, the database or the broker refusing the
  user, password, database or vhost.  systemd's unit does not restart on it,
  and the worker supervisor stops.
* ``1`` (``UNREACHABLE``): the database or the broker could not be reached
  within ``ORDERGATE_STARTUP_WAIT_SECONDS`` (retried with backoff meanwhile,
  each attempt logged with its reason); it may come back, so a restart may help.

Schema policy (``ensure_schema``): the embedded SQLite file is brought up to
date by ``serve`` itself -- it belongs to this one gateway; a PostgreSQL
database is shared and is migrated deliberately (``ordergate migrate``, a
deployment's migration job), so ``serve`` refuses to start on a schema
behind the code.  A schema ahead of the code is refused on both.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.amqp.connection import connect_once
from adapters.amqp.connection import refusal as broker_refusal
from adapters.amqp.connection import safe_url as safe_amqp_url
from adapters.sql import SqlaOrderStore
from adapters.sql.engine import safe_url
from adapters.sql.errors import refusal as database_refusal
from adapters.sql.migrate import SchemaState, migrate_async, schema_state
from ordergate.outage import short
from ordergate.settings import GatewaySettings

log = logging.getLogger("ordergate.startup")

MISCONFIGURED = 2
UNREACHABLE = 1
ATTEMPT_SECONDS = 10.0  # one connection attempt; a host that drops packets must not hang the start
T = TypeVar("T")


class StartupError(Exception):
    def __init__(self, message: str, code: int = MISCONFIGURED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def listening_socket(settings: GatewaySettings, shared: bool) -> socket.socket:
    """The HTTP listener's socket, bound (not yet listening): a port in use or a host that does not
    resolve is found before anything else is started.  ``shared``: workers bind it beside each other."""
    host, port = settings.host, settings.port
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as e:
        raise StartupError(f"ORDERGATE_HOST {host!r} does not resolve to an address ({e.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError as e:
        sock.close()
        if e.errno == errno.EADDRINUSE:
            message = f"port {port} on {host} is in use by another process: stop it or set ORDERGATE_PORT"
        elif e.errno == errno.EADDRNOTAVAIL:
            message = f"ORDERGATE_HOST {host!r} is not an address of this machine"
        elif e.errno == errno.EACCES:
            message = f"port {port} on {host} needs privileges this process lacks: use a port above 1023"
        else:
            message = f"cannot listen on {host}:{port}: {e.strerror}"
        raise StartupError(message) from None
    sock.setblocking(False)
    return sock


async def _retrying(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    refusal: Callable[[BaseException], str | None],
    wait: float,
) -> T:
    """``attempt`` until it succeeds, with backoff (1, 2, 4 ... 10 s) for at most ``wait`` seconds."""
    deadline, pause = time.monotonic() + wait, 1.0
    while True:
        try:
            async with asyncio.timeout(ATTEMPT_SECONDS):
                return await attempt()
        except Exception as error:
            refused = refusal(error)
            if refused is not None:
                raise StartupError(f"{what}: {refused}") from None
            reason = short(error) if not isinstance(error, TimeoutError) else "no answer within 10 s"
            left = deadline - time.monotonic()
            if left <= 0:
                raise StartupError(
                    f"{what} unreachable for {wait:.0f} s ({reason}); giving up", UNREACHABLE
                ) from None
            log.warning(
                "%s unreachable (%s); trying again in %.0f s (giving up in %.0f s)",
                what,
                reason,
                min(pause, left),
                left,
            )
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, 10.0)


async def wait_for_database(store: SqlaOrderStore, wait: float) -> SchemaState:
    """The schema's state, once the database answers; an SQLite file is not waited for."""
    what = f"database {safe_url(store.url)}"

    def refusal(error: BaseException) -> str | None:
        return database_refusal(error) or (short(error) if store.sqlite else None)

    return await _retrying(what, lambda: schema_state(store.engine), refusal, 0.0 if store.sqlite else wait)


async def wait_for_broker(url: str, wait: float) -> None:
    async def attempt() -> None:
        connection = await connect_once(url, ATTEMPT_SECONDS)
        await connection.close()

    await _retrying(f"broker {safe_amqp_url(url)}", attempt, lambda e: broker_refusal(e, url), wait)


async def ensure_schema(store: SqlaOrderStore, state: SchemaState | None = None) -> str:
    """The schema at the code's head (migrating an SQLite file), or ``StartupError``; what was done."""
    state = state or await schema_state(store.engine)
    where = f"database {safe_url(store.url)}"
    if state.at_head:
        return f"{where}: schema {state}"
    if state.ahead:
        raise StartupError(
            f"{where}: the schema is {state}; run that version, or restore the database it had before"
        )
    if not store.sqlite:
        raise StartupError(f"{where}: the schema is {state}: run `ordergate migrate` first")
    done = await migrate_async(store.url)
    return f"{where}: {done} (serve brings the embedded SQLite file up to date by itself)"


async def prepare(store: SqlaOrderStore, settings: GatewaySettings) -> str:
    """Wait for the database (and broker), then bring the schema to the code's head; what was done."""
    state = await wait_for_database(store, settings.startup_wait_seconds)
    done = await ensure_schema(store, state)
    if settings.amqp_url:
        await wait_for_broker(settings.amqp_url, settings.startup_wait_seconds)
    return done
