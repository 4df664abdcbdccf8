"""The message headers of the profile (OSS/J XML/JMS conventions, DESIGN §4).

Requesters and event consumers filter and route on these without parsing the
XML body, as JMS selectors did on the OSS/J properties.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from core.domain.events import OrderEvent
from core.domain.model import Kind
from core.domain.states import State

MESSAGE_TYPE = "OSS_MESSAGE_TYPE"
MESSAGE_NAME = "OSS_MESSAGE_NAME"
APPLICATION_TYPE = "OSS_APPLICATION_TYPE"
REQUEST_SENDER_ID = "OSS_REQUEST_SENDER_ID"
EVENT_TYPE = "OSS_EVENT_TYPE"
ORDER_TYPE = "OSS_ORDER_TYPE"
ORDER_PRIMARY_KEY = "OSS_ORDER_PRIMARY_KEY"
ORDER_CURRENT_STATE = "OSS_ORDER_CURRENT_STATE"
API_CLIENT_ID = "OSS_API_CLIENT_ID"
APPLICATION = "OrderManagement"

# set on requests moved to the dead-letter queue
DEAD_LETTER_REASON = "x-ordergate-reason"
# the broker-checked user of the original request; it cannot stay in the
# user_id property because the broker only accepts the publisher's own user there
ORIGINAL_USER_ID = "x-ordergate-user-id"


class MessageType(StrEnum):
    REQUEST = "REQUEST"
    RESPONSE = "RESPONSE"
    EXCEPTION = "EXCEPTION"


def header_text(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header as text (the AMQP codec hands long strings over as bytes or str)."""
    value = (headers or {}).get(name)
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def reply_headers(message_type: MessageType, message_name: str, sender_id: str | None) -> dict[str, str]:
    headers = {
        MESSAGE_TYPE: message_type.value,
        MESSAGE_NAME: message_name,
        APPLICATION_TYPE: APPLICATION,
    }
    if sender_id is not None:
        headers[REQUEST_SENDER_ID] = sender_id
    return headers


def event_headers(event: OrderEvent, element_name: str) -> dict[str, str]:
    return {
        EVENT_TYPE: element_name,
        MESSAGE_NAME: element_name,
        APPLICATION_TYPE: APPLICATION,
        ORDER_TYPE: str(event.order.get("orderType") or Kind(event.kind).base_type),
        ORDER_PRIMARY_KEY: event.order_id,
        ORDER_CURRENT_STATE: State(event.state).ossj,
        API_CLIENT_ID: event.client_id,
    }


def dead_letter_headers(
    original: Mapping[str, Any] | None, reason: str, user_id: str | None
) -> dict[str, Any]:
    headers = dict(original or {})
    headers[DEAD_LETTER_REASON] = reason
    if user_id is not None:
        headers[ORIGINAL_USER_ID] = user_id
    return headers
