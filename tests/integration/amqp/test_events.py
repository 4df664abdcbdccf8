"""Events: every outbox event on the ordergate.events topic exchange, with the OSS/J headers."""

from __future__ import annotations

import asyncio

import pytest

from tests.amqp_broker import SERVICE_VALUE, service_key

pytestmark = pytest.mark.rabbitmq


async def test_every_change_is_published_with_routing_key_and_filtering_headers(requester, events):
    created = await requester.call("createOrderByValue", SERVICE_VALUE)
    order_id = created.text("om:serviceOrderValue/om:key/om:primaryKey") or ""
    key = service_key(order_id)
    await requester.call("startOrderByKey", key)
    await requester.call(
        "setOrderByValue", f"<serviceOrderValue>{key}<description>rush job</description></serviceOrderValue>"
    )
    for item in ("1", "2"):
        await requester.call(
            "changeOrderItemState", f"{key}<itemId>{item}</itemId><state>closed.completed</state>"
        )
    await requester.call("removeOrderByKey", key)

    async with asyncio.timeout(15):
        while not any(e.name == "orderRemoveEvent" for e in events.of(order_id)):
            await events.wait_for(len(events.events) + 1)
    published = events.of(order_id)
    names = [e.name for e in published]
    assert names[0] == "orderCreateEvent"
    assert names[1] == "orderStateChangeEvent"
    assert "orderAttributeValueChangeEvent" in names
    assert names[-1] == "orderRemoveEvent"
    for event in published:
        assert event.routing_key == f"serviceOrder.{event.name}"
        assert event.message_id == event.text("om:eventId")
        assert event.headers["OSS_EVENT_TYPE"] == event.name
        assert event.headers["OSS_ORDER_TYPE"] == "ServiceOrder"
        assert event.headers["OSS_ORDER_PRIMARY_KEY"] == order_id
        assert event.headers["OSS_ORDER_CURRENT_STATE"] == event.text("om:state")
        assert event.headers["OSS_API_CLIENT_ID"] == "local"
    assert published[1].headers["OSS_ORDER_CURRENT_STATE"] == "open.running"
    assert published[1].text("om:previousState") == "open.not_running.not_started"
    changed = next(e for e in published if e.name == "orderAttributeValueChangeEvent")
    assert changed.text("om:changedAttribute") == "description"
    assert published[-1].headers["OSS_ORDER_CURRENT_STATE"] == "closed.completed"
    assert len({e.message_id for e in published}) == len(published)
