"""Which failure is whose outage: the database's, the broker's, or none (a bug, logged in full)."""

from __future__ import annotations

import asyncio

import aiormq.exceptions
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.amqp.config import AmqpSettings
from adapters.amqp.events import AmqpEventPublisher
from adapters.identity import LOCAL_ADMIN
from adapters.sql import SqlaOrderStore
from core.domain.errors import Unavailable
from core.usecases import OrderManagement
from ordergate.outage import dependency_of


async def test_a_database_that_refuses_connections_is_the_databases_outage(tmp_path):
    engine = create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(ConnectionRefusedError) as raw:  # bare, as the engine raises it
            async with engine.connect():
                pass
        assert dependency_of(raw.value) == "database"
    finally:
        await engine.dispose()
    store = SqlaOrderStore("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere")
    try:
        with pytest.raises(Unavailable) as named:
            await OrderManagement(store).get_order(LOCAL_ADMIN, None, "any")
        assert dependency_of(named.value) == "database"
    finally:
        await store.close()


async def test_a_broker_that_is_not_connected_is_the_brokers_outage():
    publisher = AmqpEventPublisher(AmqpSettings(url="amqp://guest:guest@127.0.0.1:1/"))
    with pytest.raises(Unavailable) as caught:
        await publisher.publish([])
    assert dependency_of(caught.value) == "broker"
    assert dependency_of(aiormq.exceptions.ChannelInvalidStateError("closed")) == "broker"
    assert dependency_of(aiormq.exceptions.AMQPConnectionError(111, "refused")) == "broker"


def raised(error: BaseException) -> BaseException:
    with pytest.raises(type(error)) as caught:
        raise error
    return caught.value


def test_anything_else_is_no_outage():
    assert dependency_of(KeyError("x")) is None
    assert dependency_of(ValueError("bad input")) is None
    assert dependency_of(raised(ConnectionResetError("a client went away"))) is None
    assert dependency_of(asyncio.CancelledError()) is None
