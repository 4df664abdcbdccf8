"""A query's replies stay within what one request may cost (issue 13, item 9), on the in-memory store."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.amqp.config import ReplyLimits
from adapters.amqp.dispatch import IncomingRequest, RequestDispatcher
from adapters.amqp.headers import MessageType
from adapters.memory import MemoryOrderStore
from adapters.xml import NS, XmlOrderOperations
from core.usecases import OrderManagement
from tests.unit.adapters.amqp.test_dispatch import INDEPENDENT, VALUE, body, detail


def query(how_many: int | None = None, offset: int | None = None, names: str = "") -> bytes:
    inner = "<query><kind>serviceOrder</kind></query>"
    inner += "" if offset is None else f"<offset>{offset}</offset>"
    inner += "" if how_many is None else f"<howMany>{how_many}</howMany>"
    return body("queryOrders", inner + names)


def message(reply) -> str:
    return reply.elements[0][0].findtext(f"{{{NS}}}message") or ""


@pytest.fixture
async def store() -> MemoryOrderStore:
    store = MemoryOrderStore()
    gateway = RequestDispatcher(XmlOrderOperations(OrderManagement(store)), None, 4096)
    for i in range(7):
        request = IncomingRequest(
            body("createOrderByValue", VALUE), message_id=f"c-{i}", reply_to="amq.gen-r"
        )
        await gateway.answer(request)
    return store


def gateway(store: MemoryOrderStore, **limits: int) -> RequestDispatcher:
    operations = XmlOrderOperations(OrderManagement(store))
    return RequestDispatcher(operations, None, 4096, limits=ReplyLimits(**limits))


async def ask(dispatcher: RequestDispatcher, data: bytes):
    return await dispatcher.answer(IncomingRequest(data, message_id="q-1", reply_to="amq.gen-r"))


async def test_a_query_within_the_limits_is_answered_in_pages(store):
    reply = await ask(gateway(store, max_query_replies=4), query(how_many=2))
    assert reply.message_type is MessageType.RESPONSE
    assert [m.name for m in reply.messages] == ["queryOrdersResponse"] * 4
    for page in reply.elements:
        INDEPENDENT.validate(etree.tostring(page))
    assert [p.findtext(f"{{{NS}}}endOfReply") for p in reply.elements] == ["false"] * 3 + ["true"]


async def test_a_query_needing_more_replies_than_allowed_is_refused_with_the_way_to_ask(store):
    """howMany=1 over many orders was one reply per order, all held in memory."""
    reply = await ask(gateway(store, max_query_replies=3), query(how_many=1))
    assert reply.message_type is MessageType.EXCEPTION
    assert [m.name for m in reply.messages] == ["queryOrdersException"]
    assert detail(reply.elements[0]) == ("illegalArgumentException", "illegalArgument")
    assert "would take 7 replies" in message(reply)
    assert "at most 3 replies" in message(reply)
    assert "howMany of at least 3" in message(reply)
    # from an offset only the rest counts
    assert (await ask(gateway(store, max_query_replies=3), query(how_many=1, offset=4))).message_type is (
        MessageType.RESPONSE
    )


async def test_a_reply_larger_than_allowed_is_refused(store):
    one = len((await ask(gateway(store), query(how_many=1))).messages[0].body)
    reply = await ask(gateway(store, max_reply_bytes=one + 100), query(how_many=2))
    assert detail(reply.elements[0]) == ("illegalArgumentException", "illegalArgument")
    assert "reply 1 of the query would be" in message(reply)
    # without howMany there is one reply with every order: the same bound holds
    whole = await ask(gateway(store, max_reply_bytes=one + 100), query())
    assert "reply 1 of the query would be" in message(whole)


async def test_replies_larger_together_than_allowed_are_refused(store):
    one = len((await ask(gateway(store), query(how_many=1))).messages[0].body)
    reply = await ask(gateway(store, max_query_bytes=3 * one + 10), query(how_many=1))
    assert detail(reply.elements[0]) == ("illegalArgumentException", "illegalArgument")
    assert "replies to the query would be more than" in message(reply)
    fits = await ask(gateway(store, max_query_bytes=3 * one + 10), query(how_many=1, offset=4))
    assert len(fits.messages) == 3
