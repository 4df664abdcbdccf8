"""Domain events as the vocabulary's event elements."""

from __future__ import annotations

from lxml import etree

from adapters.xml.codec import key_element, order_element, state_to_xml, sub
from adapters.xml.schema import NS, q
from core.domain.events import EventType, OrderEvent
from core.domain.snapshot import iso

EVENT_ELEMENTS: dict[EventType, str] = {
    EventType.CREATED: "orderCreateEvent",
    EventType.STATE_CHANGED: "orderStateChangeEvent",
    EventType.ATTRIBUTES_CHANGED: "orderAttributeValueChangeEvent",
    EventType.REMOVED: "orderRemoveEvent",
    EventType.INFORMATION_REQUIRED: "orderInformationRequiredEvent",
}


def event_element(event: OrderEvent) -> etree._Element:
    root = etree.Element(q(EVENT_ELEMENTS[event.type]), nsmap={None: NS})
    sub(root, "eventId", event.event_id)
    sub(root, "eventTime", iso(event.occurred_at))
    key_element(root, event.kind, event.order_id)
    sub(root, "state", state_to_xml(event.state))
    sub(root, "clientId", event.client_id)
    if event.actor:
        sub(root, "actor", event.actor)
    if event.type is EventType.STATE_CHANGED:
        sub(root, "previousState", state_to_xml(event.previous_state or event.state))
    if (
        event.type in (EventType.CREATED, EventType.STATE_CHANGED, EventType.INFORMATION_REQUIRED)
        and event.reason
    ):
        sub(root, "reason", event.reason)
    for change in event.item_changes:
        c = sub(root, "itemStateChange")
        sub(c, "itemId", change.item_id)
        sub(c, "previousState", state_to_xml(change.previous_state))
        sub(c, "state", state_to_xml(change.state))
    if event.type is EventType.ATTRIBUTES_CHANGED:
        for name in event.changed_fields:
            sub(root, "changedAttribute", name)
    order_element(root, event.order)
    return root
