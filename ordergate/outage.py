"""Outages of the database and the broker, told once per change of state.

While the database (or the broker) is down, every request and every
background round fails the same way; logging each failure buries the one
fact an operator needs under thousands of tracebacks.  So the gateway keeps
one state per dependency and logs its changes only: a line when it goes
down (with the reason and what callers see meanwhile), a "still down" line
every ``every`` seconds while it stays down, and a line when it is back.

Two things feed the state: ``watch`` probes each dependency (quickly while it
is down, so its return is noticed without traffic), and the log filter of
``ordergate.logs`` hands over every log record that is such a failure
(``dependency_of`` tells which), instead of printing it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType

import aiormq.exceptions

from adapters.sql.errors import unavailable as database_unavailable
from core.domain.errors import Unavailable

log = logging.getLogger("ordergate.outage")

# what callers see while a dependency is down (docs/operations.md says the same)
CONSEQUENCES = {
    "database": "REST answers 503 with Retry-After, SOAP a Server fault (remoteException), "
    "AMQP requests go back to the queue after a backoff",
    "schema": "requests may fail until the schema is the code's; /readyz is false",
    "broker": "AMQP requests wait in the broker, events wait in the outbox; REST and SOAP still serve",
}
_DATABASE_MODULES = ("sqlalchemy", "asyncpg", "aiosqlite", "sqlite3", "adapters.sql")
_BROKER_MODULES = ("aio_pika", "aiormq", "pamqp", "adapters.amqp")

# dependency -> None when it is up, else why it is down
Probe = Callable[[], Awaitable[Mapping[str, str | None]]]


class Outage:
    """The state of one dependency, as the log tells it."""

    def __init__(self, name: str, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._every = every
        self._clock = clock
        self.down_since: float | None = None
        self._told = 0.0
        self.reason = ""

    @property
    def up(self) -> bool:
        return self.down_since is None

    def failed(self, reason: str) -> None:
        now = self._clock()
        self.reason = reason = reason.removeprefix(f"{self.name} unavailable: ")
        if self.down_since is None:
            self.down_since = self._told = now
            log.warning(
                "%s unavailable: %s; meanwhile %s", self.name, reason, CONSEQUENCES.get(self.name, "")
            )
        elif now - self._told >= self._every:
            self._told = now
            log.warning("%s still unavailable after %.0f s: %s", self.name, now - self.down_since, reason)

    def recovered(self) -> None:
        if self.down_since is not None:
            log.info("%s available again after %.0f s", self.name, self._clock() - self.down_since)
            self.down_since = None


class Outages:
    """The gateway's dependencies (database, schema, broker), each with its ``Outage``."""

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every, self._clock = every, clock
        self._by_name: dict[str, Outage] = {}

    def __getitem__(self, name: str) -> Outage:
        if name not in self._by_name:
            self._by_name[name] = Outage(name, self._every, self._clock)
        return self._by_name[name]

    def failed(self, name: str, reason: str) -> None:
        self[name].failed(reason)

    def note(self, states: Mapping[str, str | None]) -> None:
        """What a probe found: each dependency up (None) or down (why)."""
        for name, reason in states.items():
            if reason is None:
                self[name].recovered()
            else:
                self[name].failed(reason)

    def any_down(self) -> bool:
        return any(not outage.up for outage in self._by_name.values())

    async def watch(self, probe: Probe, up_seconds: float = 5.0, down_seconds: float = 1.0) -> None:
        """Probe the dependencies until cancelled: every second while one is down, seldom otherwise."""
        while True:  # the first look after a while: at start the profiles are still connecting
            await asyncio.sleep(down_seconds if self.any_down() else up_seconds)
            self.note(await probe())


def short(error: BaseException) -> str:
    """An error in one line: its message, or its type when it has none."""
    text = " ".join(str(error).split())
    text = text or type(error).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _origin(error: BaseException) -> str | None:
    """The dependency whose code raised ``error``: the innermost frame of a known module decides."""
    modules: list[str] = []
    tb: TracebackType | None = error.__traceback__
    while tb is not None:
        modules.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    for module in reversed(modules):
        if module.startswith(_BROKER_MODULES):
            return "broker"
        if module.startswith(_DATABASE_MODULES):
            return "database"
    return None


def _chain(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def dependency_of(error: BaseException) -> str | None:
    """Which dependency's outage ``error`` is ("database" or "broker"), or None for any other failure."""
    for cause in _chain(error):
        if isinstance(cause, aiormq.exceptions.AMQPError | aiormq.exceptions.ChannelInvalidStateError):
            return "broker"
        if isinstance(cause, Unavailable) or database_unavailable(cause):
            origin = _origin(cause)
            if origin is not None:
                return origin
    return "database" if isinstance(error, Unavailable) else None
