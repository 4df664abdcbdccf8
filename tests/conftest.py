"""Shared fixtures: order stores on every backend, fresh for each test.

PostgreSQL tests use a database of their own on the running server
(``ORDERGATE_TEST_PG``, default ``postgresql+asyncpg://postgres@127.0.0.1/``);
each test session creates it and drops it at the end.  Its name, like every
database, role, vhost and user the tests create, carries the run's prefix
(``tests/prefix.py``, ``ORDERGATE_TEST_PREFIX``); at the end of the session
whatever is left under that prefix is removed, and nothing else.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.memory import MemoryOrderStore
from adapters.sql import SqlaOrderStore, migrate
from adapters.sql import tables as t
from tests import prefix

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


_USED = {"postgres": False}


def create_database(kind: str = "db") -> str:
    """A new, empty database of this run on the test server; its URL (the run removes it at its end
    if the test does not)."""
    name = prefix.name(kind)
    _USED["postgres"] = True
    _blocking(f'CREATE DATABASE "{name}"')
    return PG_SERVER.rstrip("/") + "/" + name


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[-1]
    assert prefix.ours(name), f"{name} is not this run's"
    _blocking(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _own_leftovers() -> None:
    """Every database and role under this run's prefix, dropped (roles after what they own)."""
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn())
    try:
        mine = prefix.PREFIX + "_"
        for (name,) in await conn.fetch(
            "SELECT datname FROM pg_database WHERE left(datname, $1) = $2", len(mine), mine
        ):
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        for (name,) in await conn.fetch(
            "SELECT rolname FROM pg_roles WHERE left(rolname, $1) = $2", len(mine), mine
        ):
            await conn.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def _remove_this_runs_leftovers() -> Iterator[None]:
    yield
    if _USED["postgres"]:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, _own_leftovers()).result()
    gateway = sys.modules.get("tests.amqp_gateway")  # not imported: no vhost or user was made
    if gateway is not None:
        gateway.remove_own_leftovers()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = create_database()
    migrate(url)
    yield url
    drop_database(url)


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
