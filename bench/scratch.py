"""Throw-away databases for a benchmark run: created fresh, migrated, dropped at the end."""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator

from adapters.sql import migrate_async

DEFAULT_PG_SERVER = "postgresql+asyncpg://postgres@127.0.0.1/"


def server_url(url: str) -> str:
    """The server part of a PostgreSQL URL (any database name in it is ignored)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    return f"{scheme}://{host}/"


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy ``postgresql+asyncpg://`` URL as a plain libpq DSN for asyncpg."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _admin(server: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(asyncpg_dsn(server) + "postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def scratch_postgres(url: str, label: str = "bench") -> AsyncIterator[str]:
    """A fresh, migrated database on the server of ``url``; dropped on exit."""
    server = server_url(url)
    name = f"ordergate_{label}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        database = server + name
        await migrate_async(database)
        yield database
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def create_kept(url: str, label: str) -> str:
    """A fresh, migrated database on the server of ``url`` that outlives the run (its URL)."""
    server = server_url(url)
    name = f"ordergate_{label}_kept_{uuid.uuid4().hex[:6]}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    await migrate_async(server + name)
    return server + name


@contextlib.asynccontextmanager
async def scratch_sqlite(directory: str | None = None) -> AsyncIterator[str]:
    """A fresh, migrated SQLite file in a temporary directory; removed on exit."""
    with tempfile.TemporaryDirectory(prefix="ordergate-bench-", dir=directory) as tmp:
        database = f"sqlite+aiosqlite:///{os.path.join(tmp, 'bench.db')}"
        await migrate_async(database)
        yield database
