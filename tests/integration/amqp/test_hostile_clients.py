"""Issue 13's attacks on the AMQP profile, each reproduced over the running broker.

* a write sent with an earlier request's ``message_id`` (item 6),
* a ``reply_to`` naming a queue the requester does not own (item 7),
* a query asking for more replies than a requester may have (item 9).
"""

from __future__ import annotations

import asyncio
import json

import aio_pika
import pytest

from adapters.identity import Credentials
from tests.amqp_broker import (
    NSMAP,
    REQUESTS,
    SERVICE_VALUE,
    Requester,
    request_body,
    send_all,
    service_key,
    take_dead_letters,
)
from tests.amqp_gateway import user_of

pytestmark = pytest.mark.rabbitmq

CRM = {"OSS_REQUEST_SENDER_ID": "crm-7"}


def order_id_of(reply) -> str:
    return reply.text("om:serviceOrderValue/om:key/om:primaryKey") or ""


async def send_as(requester: Requester, message_id: str, operation: str, inner: str = ""):
    """The reply to one more request under ``message_id`` (earlier ones' replies carry it too)."""
    before = len(requester.replies[message_id])
    await requester.send(request_body(operation, inner), message_id=message_id, headers=CRM)
    return (await requester.wait(message_id, count=before + 1))[-1]


async def test_a_set_and_a_remove_reusing_a_creates_message_id_are_refused_and_change_nothing(
    gateway, requester
):
    created = await send_as(requester, "m-1", "createOrderByValue", SERVICE_VALUE)
    order_id = order_id_of(created)
    change = f"<serviceOrderValue>{service_key(order_id)}<description>new</description></serviceOrderValue>"
    for operation, inner in (("setOrderByValue", change), ("removeOrderByKey", service_key(order_id))):
        reply = await send_as(requester, "m-1", operation, inner)
        assert reply.name == f"{operation}Exception"
        assert reply.text("om:illegalArgumentException/om:code") == "illegalArgument"
        assert "message_id 'm-1' was used for another request" in (
            reply.text("om:illegalArgumentException/om:message") or ""
        )
    kept = await requester.call("getOrderByKey", service_key(order_id))
    assert kept.text("om:serviceOrderValue/om:description") is None
    assert kept.text("om:serviceOrderValue/om:version") == created.text("om:serviceOrderValue/om:version")
    # the resent create itself is still answered from the log, and nothing ran twice
    again = await send_as(requester, "m-1", "createOrderByValue", SERVICE_VALUE)
    assert again.body == created.body
    assert await gateway.order_count() == 1


async def test_a_create_reusing_a_message_id_with_another_body_is_refused(gateway, requester):
    await send_as(requester, "m-2", "createOrderByValue", SERVICE_VALUE)
    refused = await send_as(requester, "m-2", "createOrderByValue", SERVICE_VALUE.replace("ext-1", "ext-2"))
    assert refused.text("om:illegalArgumentException/om:code") == "illegalArgument"
    assert await gateway.order_count() == 1


async def test_message_ids_are_scoped_by_sender(gateway, requester: Requester):
    """The same message_id from another sending application is another request."""
    body = request_body("createOrderByValue", SERVICE_VALUE)
    for count, sender in enumerate(("crm-7", "crm-8"), start=1):
        await requester.send(body, message_id="m-3", headers={"OSS_REQUEST_SENDER_ID": sender})
        reply = (await requester.wait("m-3", count=count))[-1]
        assert reply.name == "createOrderByValueResponse"
    assert await gateway.order_count() == 2


# ------------------------------------------------------------------ reply_to (item 7)


@pytest.fixture
async def prefixed(sqlite_store, start_gateway, actor_urls, tmp_path):
    """A gateway whose credentials give alice and bob a reply-queue prefix each (their broker user)."""
    users = {actor: user_of(url) for actor, url in actor_urls.items()}
    clients = [
        {"clientId": actor, "roles": ["client"], "amqpUser": user, "replyQueuePrefix": f"{user}."}
        for actor, user in users.items()
        if actor in ("alice", "bob")
    ]
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"clients": clients}))
    return await start_gateway(sqlite_store, credentials=Credentials.load(path)), users


async def publish(url: str, body: bytes, reply_to: str, message_id: str) -> None:
    """A request as the broker user of ``url``, with whatever ``reply_to`` it likes."""
    connection = await aio_pika.connect(url)
    try:
        channel = await connection.channel()
        message = aio_pika.Message(
            body, message_id=message_id, reply_to=reply_to, user_id=user_of(url), headers=CRM
        )
        await channel.default_exchange.publish(message, REQUESTS)
    finally:
        await connection.close()


async def test_a_reply_to_naming_another_clients_queue_is_dead_lettered_and_not_run(prefixed, actor_urls):
    gateway, users = prefixed
    connection = await aio_pika.connect(actor_urls["bob"])
    try:
        channel = await connection.channel()
        victim = await channel.declare_queue(f"{users['bob']}.replies", exclusive=True)
        body = request_body("createOrderByValue", SERVICE_VALUE)
        for message_id, reply_to, reason in (
            ("steal-1", victim.name, "is not a queue the requester owns"),
            ("loop-1", REQUESTS, "is a queue of the gateway's own"),
            ("work-1", "billing.work", "is not a queue the requester owns"),
        ):
            await publish(actor_urls["alice"], body, reply_to, message_id)
            (dead,) = await take_dead_letters(gateway.amqp_url, 1)
            assert dead.message_id == message_id
            assert f"reply_to {reply_to!r} {reason}" in dead.reason
            assert dead.headers["x-ordergate-user-id"] == users["alice"]
        assert await victim.get(no_ack=True, fail=False) is None
        assert await gateway.order_count() == 0
    finally:
        await connection.close()


async def test_a_reply_goes_to_a_queue_under_the_requesters_own_prefix(prefixed, actor_urls):
    gateway, users = prefixed
    connection = await aio_pika.connect(actor_urls["alice"])
    try:
        channel = await connection.channel()
        own = await channel.declare_queue(f"{users['alice']}.replies", exclusive=True)
        arrived: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await own.consume(arrived.put, no_ack=True)
        await publish(actor_urls["alice"], request_body("getEventTypes"), own.name, "own-1")
        reply = await asyncio.wait_for(arrived.get(), 15)
        gateway.schema.validate(reply.body.decode())
        assert reply.correlation_id == "own-1"
        assert reply.headers["OSS_MESSAGE_NAME"] == "getEventTypesResponse"
    finally:
        await connection.close()


async def test_direct_reply_to_is_answered_end_to_end(gateway):
    """RabbitMQ's direct reply-to: the gateway's transactional publisher delivers every reply,
    a query's pages too, to the requester's channel."""
    requester = await Requester(gateway.amqp_url, gateway.schema, direct=True).open()
    try:
        for _ in range(3):
            created = await requester.call("createOrderByValue", SERVICE_VALUE)
            assert created.name == "createOrderByValueResponse"
        query = "<query><kind>serviceOrder</kind></query><howMany>1</howMany>"
        key = await requester.send(request_body("queryOrders", query))
        pages = await requester.wait(key, count=3)
        assert [p.text("om:endOfReply") for p in pages] == ["false", "false", "true"]
        refused = await requester.call("resumeOrderByKey", service_key("nobody"))
        assert refused.name == "resumeOrderByKeyException"
    finally:
        await requester.close()
    assert await take_dead_letters(gateway.amqp_url, 1, seconds=0.2) == []


# ------------------------------------------------------------------ query replies (item 9)


async def test_a_query_asking_for_more_replies_than_one_request_may_have_is_refused(gateway, requester):
    """howMany=1 over 513 orders sent 513 replies (44 MB) and left the worker at 552 MB RSS:
    now a query needing more than 64 replies is refused with one exception, nothing else."""
    keys = await send_all(requester, 70)
    for key in keys:
        await requester.wait(key)
    ask = "<query><kind>serviceOrder</kind></query><howMany>1</howMany>"
    key = await requester.send(request_body("queryOrders", ask))
    (refused,) = await requester.wait(key)
    assert refused.name == "queryOrdersException"
    assert refused.text("om:illegalArgumentException/om:code") == "illegalArgument"
    assert "would take 70 replies" in (refused.text("om:illegalArgumentException/om:message") or "")
    await asyncio.sleep(0.5)
    assert len(requester.replies[key]) == 1, "no page follows the refusal"
    # asked as the refusal says, the same orders come back
    fitting = "<query><kind>serviceOrder</kind></query><howMany>2</howMany>"
    key = await requester.send(request_body("queryOrders", fitting))
    pages = await requester.wait(key, count=35)
    assert pages[-1].text("om:endOfReply") == "true"
    assert sum(len(p.root.findall("om:values/*", NSMAP)) for p in pages) == 70
