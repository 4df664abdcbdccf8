"""Domain events as the vocabulary's event elements."""

from __future__ import annotations

from lxml import etree

from adapters.xml.codec import OWN_TEXT, key_xml, order_xml, put, state_to_xml
from adapters.xml.schema import NS
from core.document.render import iso
from core.domain.events import EventType, OrderEvent

EVENT_ELEMENTS: dict[EventType, str] = {
    EventType.CREATED: "orderCreateEvent",
    EventType.STATE_CHANGED: "orderStateChangeEvent",
    EventType.ATTRIBUTES_CHANGED: "orderAttributeValueChangeEvent",
    EventType.REMOVED: "orderRemoveEvent",
    EventType.INFORMATION_REQUIRED: "orderInformationRequiredEvent",
    EventType.MILESTONE: "orderMilestoneEvent",
    EventType.JEOPARDY: "orderJeopardyEvent",
    EventType.CANCEL_CREATED: "cancelOrderCreateEvent",
    EventType.CANCEL_STATE_CHANGED: "cancelOrderStateChangeEvent",
}


_WITH_REASON = frozenset(
    {EventType.CREATED, EventType.STATE_CHANGED, EventType.INFORMATION_REQUIRED}
    | {EventType.MILESTONE, EventType.JEOPARDY, EventType.CANCEL_CREATED, EventType.CANCEL_STATE_CHANGED}
)


def event_xml(event: OrderEvent) -> str:
    """The event element as text, declaring the vocabulary's namespace."""
    name = EVENT_ELEMENTS[event.type]
    out = [f'<{name} xmlns="{NS}">']
    put(out, "eventId", event.event_id)
    put(out, "eventTime", iso(event.occurred_at))
    key_xml(out, event.kind, event.order_id)
    put(out, "state", state_to_xml(event.state))
    put(out, "clientId", event.client_id)
    if event.actor:
        put(out, "actor", event.actor)
    if event.type is EventType.STATE_CHANGED:
        put(out, "previousState", state_to_xml(event.previous_state or event.state))
    if event.task_id is not None:
        put(out, "taskId", event.task_id)
        put(out, "taskState", event.task_state or "")
    if (
        event.type in _WITH_REASON
        and event.reason
    ):
        put(out, "reason", event.reason)
    for change in event.item_changes:
        out.append("<itemStateChange>")
        put(out, "itemId", change.item_id)
        put(out, "previousState", state_to_xml(change.previous_state))
        put(out, "state", state_to_xml(change.state))
        out.append("</itemStateChange>")
    if event.type is EventType.ATTRIBUTES_CHANGED:
        for changed in event.changed_fields:
            put(out, "changedAttribute", changed)
    out.append(order_xml(event.order, declare=False))
    out.append(f"</{name}>")
    return "".join(out)


def event_element(event: OrderEvent) -> etree._Element:
    return etree.fromstring(event_xml(event), OWN_TEXT)
