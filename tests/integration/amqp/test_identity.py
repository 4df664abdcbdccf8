"""Identity: the broker-checked ``user_id`` property names the caller, through the credentials file."""

from __future__ import annotations

import aio_pika
import aiormq
import pytest

from tests.amqp_broker import SERVICE_VALUE, Requester, request_body, service_key
from tests.amqp_gateway import user_of, write_credentials

pytestmark = pytest.mark.rabbitmq


@pytest.fixture
async def secured(sqlite_store, start_gateway, actor_urls, tmp_path):
    """A gateway with a credentials file for alice, bob and noc; guest is not in it."""
    users = {actor: user_of(url) for actor, url in actor_urls.items()}
    return await start_gateway(
        sqlite_store, credentials=write_credentials(tmp_path / "credentials.json", users)
    )


@pytest.fixture
async def actors(secured, actor_urls):
    """A requester connected as each actor's broker user, plus guest."""
    clients = {actor: await Requester(url, secured.schema).open() for actor, url in actor_urls.items()}
    clients["guest"] = await Requester(secured.amqp_url, secured.schema).open()
    yield clients
    for client in clients.values():
        await client.close()


async def call_as(actors, actor_urls, actor: str, operation: str, inner: str = ""):
    return await actors[actor].call(operation, inner, user_id=user_of(actor_urls[actor]))


async def test_each_broker_user_acts_as_its_client_with_its_roles(actors, actor_urls):
    created = await call_as(actors, actor_urls, "alice", "createOrderByValue", SERVICE_VALUE)
    assert created.text("om:serviceOrderValue/om:clientId") == "alice"
    key = service_key(created.text("om:serviceOrderValue/om:key/om:primaryKey") or "")

    hidden = await call_as(actors, actor_urls, "bob", "getOrderByKey", key)
    assert hidden.find("om:objectNotFoundException") is not None

    refused = await call_as(
        actors,
        actor_urls,
        "alice",
        "changeOrderItemState",
        f"{key}<itemId>1</itemId><state>open.running</state>",
    )
    assert refused.text("om:illegalArgumentException/om:code") == "permissionDenied"

    await call_as(actors, actor_urls, "alice", "startOrderByKey", key)
    done = await call_as(
        actors,
        actor_urls,
        "noc",
        "changeOrderItemState",
        f"{key}<itemId>1</itemId><state>closed.completed</state>",
    )
    assert done.text("om:serviceOrderValue/om:items/om:item/om:state") == "closed.completed"


@pytest.mark.parametrize("user_id", [None, "guest"], ids=["no user_id", "a user not in the credentials"])
async def test_an_unknown_sender_is_refused_and_nothing_happens(secured, actors, user_id):
    reply = await actors["guest"].call("createOrderByValue", SERVICE_VALUE, user_id=user_id)
    assert reply.name == "createOrderByValueException"
    assert reply.text("om:illegalArgumentException/om:code") == "unauthenticated"
    assert await secured.order_count() == 0


async def test_the_broker_refuses_a_user_id_other_than_the_connections_user(secured, actor_urls):
    connection = await aio_pika.connect(actor_urls["bob"])
    try:
        channel = await connection.channel()
        forged = aio_pika.Message(request_body("getEventTypes"), user_id=user_of(actor_urls["alice"]))
        with pytest.raises(aiormq.exceptions.ChannelPreconditionFailed):
            await channel.default_exchange.publish(forged, "ordergate.requests")
    finally:
        await connection.close()
    assert await secured.order_count() == 0
