"""Engines for both stores, with the settings each needs to behave."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sql.jsontext import dumps, loads


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


# A pooled connection idle for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 2.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Pre-ping, only for connections that sat idle.

    SQLAlchemy's ``pool_pre_ping`` costs three round trips (BEGIN, ping,
    ROLLBACK) on every checkout, more than an order's own statements.  A
    connection used moments ago is as alive as a ping would show (a ping
    never guarded against the server dying right after it), so only those
    idle for a while are pinged; a dead one is replaced, and the rest of the
    pool with it, before any unit of work sees it.  A connection whose
    socket the other side already closed (a restart, a cut network) is known
    to be dead without a ping and is replaced the same way.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.is_closed():  # the server or the network closed it: no trip
            raise sa_exc.InvalidatePoolError("pooled connection was closed by the other side")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as e:
            raise sa_exc.InvalidatePoolError(f"idle connection failed its ping: {e}") from e


def make_engine(url: str, pool_size: int = 20) -> AsyncEngine:
    if not is_sqlite(url):
        # A fixed pool: past pool_size callers wait for a connection.  Overflow
        # connections are closed on return, so a load just above pool_size kept
        # opening PostgreSQL sessions (a server process each) for a single use.
        engine = create_async_engine(
            url, pool_size=pool_size, max_overflow=0, json_serializer=dumps, json_deserializer=loads
        )
        _ping_idle_connections(engine)
        return engine
    engine = create_async_engine(
        url, connect_args={"timeout": 30}, json_serializer=dumps, json_deserializer=loads
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, begin transactions (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes cannot wait for the
        # write lock (SQLITE_BUSY at once); taking it up front makes writers queue.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def naive_utc(value: datetime | None) -> datetime | None:
    """Date columns hold naive UTC on both stores, so they compare the same way."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
