"""Shared fixtures: order stores on every backend, fresh for each test.

PostgreSQL tests use a database of their own on the running server
(``ORDERGATE_TEST_PG``, default ``postgresql+asyncpg://postgres@127.0.0.1/``);
each test session creates it and drops it at the end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.memory import MemoryOrderStore
from adapters.sql import SqlaOrderStore, migrate
from adapters.sql import tables as t

PG_SERVER = os.environ.get("ORDERGATE_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1/")


def _admin_dsn() -> str:
    return PG_SERVER.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + "/postgres"


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn())
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _blocking(sql: str) -> None:
    """Run an admin statement to completion, even when called under a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _pg_admin(sql)).result()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"ordergate_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    _blocking(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rstrip("/") + "/" + name
    migrate(url)
    yield url
    _blocking(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    migrate(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture
def sqlite_url(sqlite_template: str, tmp_path: os.PathLike[str]) -> str:
    import shutil

    target = os.path.join(tmp_path, "ordergate.db")
    shutil.copyfile(sqlite_template, target)
    return f"sqlite+aiosqlite:///{target}"


async def _truncate(store: SqlaOrderStore) -> None:
    async with store.engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def sql_store(request: pytest.FixtureRequest) -> AsyncIterator[SqlaOrderStore]:
    """A real SQL store, empty, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        store = SqlaOrderStore(request.getfixturevalue("sqlite_url"))
    else:
        store = SqlaOrderStore(request.getfixturevalue("pg_url"), pool_size=60)
        await _truncate(store)
    yield store
    await store.close()


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def any_store(request: pytest.FixtureRequest) -> AsyncIterator[object]:
    """Every store the core runs on: the in-memory fake and both SQL backends."""
    if request.param == "memory":
        yield MemoryOrderStore()
        return
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    store = SqlaOrderStore(url, pool_size=60)
    if request.param == "postgres":
        await _truncate(store)
    yield store
    await store.close()
