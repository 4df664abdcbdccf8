"""Engines for both stores, with the settings each needs to behave."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.sql.jsontext import dumps, loads

# the drivers the gateway speaks through, per database
DRIVERS = {"postgresql": "asyncpg", "sqlite": "aiosqlite"}
EXAMPLES = "postgresql+asyncpg://user:password@host/database or sqlite+aiosqlite:///path/to/ordergate.db"
_PASSWORD = re.compile(r"(://[^/@:\s]*:)[^@\s]*@")


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _parsed(url: str) -> URL | None:
    try:
        return make_url(url)
    except Exception:  # SQLAlchemy raises ArgumentError, ValueError (a bad port) and others
        return None


def safe_url(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parsed = _parsed(url)
    if parsed is None or parsed.password is None:
        return _PASSWORD.sub(r"\1***@", url)
    return parsed._replace(password=None).render_as_string(hide_password=False)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the gateway's store, with the fix; None when it can."""
    parsed = _parsed(url)
    if parsed is None:
        return f"{safe_url(url)!r} is not a database URL: expected {EXAMPLES}"
    database, _, driver = parsed.drivername.partition("+")
    database = "postgresql" if database == "postgres" else database
    if database not in DRIVERS:
        return f"{database} is not supported: use PostgreSQL or SQLite, e.g. {EXAMPLES}"
    if driver != DRIVERS[database]:
        wanted = f"{database}+{DRIVERS[database]}://"
        given = parsed.drivername + "://"
        return (
            f"{safe_url(url)} names {f'driver {driver}' if driver else 'no driver'}: the gateway reaches "
            f"{database} through {DRIVERS[database]}; write {wanted} instead of {given}"
        )
    if not parsed.database or parsed.database == ":memory:":
        what = "file" if database == "sqlite" else "database"
        return f"{safe_url(url)} names no {what}: expected {EXAMPLES}"
    return None


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
