"""Request/reply on ordergate.requests against the running RabbitMQ, on SQLite and PostgreSQL."""

from __future__ import annotations

import aiohttp
import pytest

from adapters.xml import EVENT_ELEMENTS, XmlOrderOperations
from adapters.xml.schema import XSD_PATH
from tests.amqp_broker import SERVICE_VALUE, Requester, request_body, service_key

pytestmark = pytest.mark.rabbitmq


async def created(requester: Requester) -> str:
    reply = await requester.call("createOrderByValue", SERVICE_VALUE)
    return reply.text("om:serviceOrderValue/om:key/om:primaryKey") or ""


async def test_the_served_xsd_is_the_vocabulary_and_a_valid_schema(gateway):
    async with aiohttp.ClientSession() as http, http.get(f"{gateway.http_url}/xml/ordermanagement.xsd") as r:
        assert r.status == 200
        assert await r.read() == XSD_PATH.read_bytes()
    assert gateway.schema.validity == "valid"
    names = set(gateway.schema.elements)
    for operation in XmlOrderOperations(gateway.orders).operations:
        assert {f"{operation}Request", f"{operation}Response", f"{operation}Exception"} <= names
    assert set(EVENT_ELEMENTS.values()) <= names


async def test_create_is_answered_on_reply_to_with_the_oss_headers(gateway, requester):
    key = await requester.send(
        request_body("createOrderByValue", SERVICE_VALUE),
        correlation_id="corr-1",
        headers={"OSS_REQUEST_SENDER_ID": "crm-7"},
    )
    (reply,) = await requester.wait(key)
    assert reply.correlation_id == "corr-1"
    assert reply.name == "createOrderByValueResponse"
    assert reply.headers == {
        "OSS_MESSAGE_TYPE": "RESPONSE",
        "OSS_MESSAGE_NAME": "createOrderByValueResponse",
        "OSS_APPLICATION_TYPE": "OrderManagement",
        "OSS_REQUEST_SENDER_ID": "crm-7",
    }
    assert reply.text("om:serviceOrderValue/om:state") == "open.not_running.not_started"
    assert reply.text("om:serviceOrderValue/om:priority") == "4"
    assert await gateway.order_count() == 1


async def test_the_reply_carries_the_message_id_when_there_is_no_correlation_id(requester):
    key = await requester.send(request_body("getEventTypes"), message_id="m-42")
    (reply,) = await requester.wait(key)
    assert key == "m-42"
    assert reply.correlation_id == "m-42"
    assert "OSS_REQUEST_SENDER_ID" not in reply.headers
    assert [e.text for e in reply.root] == [
        "orderCreateEvent",
        "orderStateChangeEvent",
        "orderAttributeValueChangeEvent",
        "orderRemoveEvent",
        "orderInformationRequiredEvent",
        "orderMilestoneEvent",
        "orderJeopardyEvent",
        "cancelOrderCreateEvent",
        "cancelOrderStateChangeEvent",
    ]


async def test_a_lifecycle_over_the_broker(requester):
    order_id = await created(requester)
    started = await requester.call("startOrderByKey", service_key(order_id))
    assert started.text("om:serviceOrderValue/om:state") == "open.running"
    for item in ("1", "2"):
        done = await requester.call(
            "changeOrderItemState",
            f"{service_key(order_id)}<itemId>{item}</itemId><state>closed.completed</state>",
        )
    assert done.text("om:serviceOrderValue/om:state") == "closed.completed"


async def test_query_results_come_back_in_pages_with_sequence_and_end_of_reply(requester):
    for _ in range(5):
        await created(requester)
    query = (
        "<query><kind>serviceOrder</kind><filter><attribute>state</attribute>"
        "<value>open.not_running.not_started</value></filter></query><howMany>2</howMany>"
    )
    key = await requester.send(request_body("queryOrders", query))
    pages = await requester.wait(key, count=3)
    assert [p.text("om:sequence") for p in pages] == ["1", "2", "3"]
    assert [p.text("om:endOfReply") for p in pages] == ["false", "false", "true"]
    assert all(p.headers["OSS_MESSAGE_NAME"] == "queryOrdersResponse" for p in pages)
    ids = [
        k.text
        for p in pages
        for k in p.root.iterfind(
            "om:values/om:serviceOrderValue/om:key/om:primaryKey", {"om": "urn:ordergate:xml:om:v1"}
        )
    ]
    assert len(ids) == len(set(ids)) == 5


async def test_a_core_error_is_answered_with_the_exception_element(gateway, requester):
    order_id = await created(requester)
    reply = await requester.call("resumeOrderByKey", service_key(order_id))
    assert reply.name == "resumeOrderByKeyException"
    assert reply.headers["OSS_MESSAGE_TYPE"] == "EXCEPTION"
    assert reply.headers["OSS_MESSAGE_NAME"] == "resumeOrderByKeyException"
    assert reply.text("om:illegalStateException/om:code") == "illegalState"
    missing = await requester.call("getOrderByKey", service_key("no-such-order"))
    assert missing.find("om:objectNotFoundException") is not None


async def test_a_resent_request_is_answered_with_the_first_result_and_not_executed_again(gateway, requester):
    body = request_body("createOrderByValue", SERVICE_VALUE)
    headers = {"OSS_REQUEST_SENDER_ID": "crm-7"}
    first = await requester.send(body, message_id="create-1", headers=headers)
    await requester.wait(first)
    again = await requester.send(body, message_id="create-1", headers=headers)
    replies = await requester.wait(again, count=2)
    assert replies[0].body == replies[1].body
    assert await gateway.order_count() == 1
    # the same message id from another sender is another request
    other = await requester.send(body, message_id="create-1", headers={"OSS_REQUEST_SENDER_ID": "crm-8"})
    await requester.wait(other, count=3)
    assert await gateway.order_count() == 2
