"""A pooled PostgreSQL connection that died while idle never reaches a unit of work or the relay."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
import sqlalchemy as sa

from adapters.sql import SqlaOrderStore
from adapters.sql import engine as sql_engine
from core.domain.model import Caller, Kind
from core.usecases import OrderManagement

VALUE = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}


async def _unit_of_work_pid(store: SqlaOrderStore) -> int:
    async with store() as uow:
        return int(await uow.read("SELECT pg_backend_pid()"))


async def _backend_pid(store: SqlaOrderStore) -> int:
    async with store.engine.connect() as conn:
        return int((await conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(pg_url: str, pid: int) -> None:
    conn = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


@pytest.mark.postgres
async def test_an_idle_engine_connection_killed_by_the_server_is_replaced(pg_url, monkeypatch):
    monkeypatch.setattr(sql_engine, "IDLE_PING_SECONDS", 0.0)
    store = SqlaOrderStore(pg_url, pool_size=1)
    try:
        dead = await _backend_pid(store)
        await _terminate(pg_url, dead)
        assert isinstance(await store.unpublished(1), list)  # served by a fresh connection
        assert await _backend_pid(store) != dead
    finally:
        await store.close()


@pytest.mark.postgres
async def test_an_idle_unit_of_work_connection_killed_by_the_server_is_replaced(pg_url):
    store = SqlaOrderStore(pg_url, pool_size=1)
    try:
        dead = await _unit_of_work_pid(store)
        await _terminate(pg_url, dead)
        await asyncio.sleep(0.2)  # the server's goodbye reaches the pooled connection
        order = await OrderManagement(store).create_order(Caller("acme"), Kind.SERVICE, VALUE)
        assert order.state.value == "acknowledged"
        assert await _unit_of_work_pid(store) != dead
    finally:
        await store.close()
