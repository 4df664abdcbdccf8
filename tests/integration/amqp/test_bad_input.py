"""Bad input: an <op>Exception when the request can be answered, else the dead-letter queue.

Which operation failed is read from the root element, or -- when the body
cannot be parsed -- from the ``OSS_MESSAGE_NAME`` header or the first tag.
Never a crash and never a silent drop: after every case the gateway still
answers, and nothing was stored.
"""

from __future__ import annotations

import pytest

from tests.amqp_broker import (
    NS,
    SERVICE_VALUE,
    Requester,
    request_body,
    take_dead_letters,
)

pytestmark = pytest.mark.rabbitmq

LIMIT = 4096
CREATE = {"OSS_MESSAGE_NAME": "createOrderByValueRequest"}
VALID = request_body("createOrderByValue", SERVICE_VALUE)
XXE = (
    f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    f'<createOrderByValueRequest xmlns="{NS}"><serviceOrderValue><description>&x;</description>'
    f"</serviceOrderValue></createOrderByValueRequest>"
).encode()
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + f']><createOrderByValueRequest xmlns="{NS}"><serviceOrderValue><description>&lol9;</description>'
    "</serviceOrderValue></createOrderByValueRequest>"
).encode()


@pytest.fixture
async def small_gateway(sqlite_store, start_gateway):
    return await start_gateway(sqlite_store, max_body_bytes=LIMIT)


@pytest.fixture
async def client(small_gateway):
    requester = await Requester(small_gateway.amqp_url, small_gateway.schema).open()
    yield requester
    await requester.close()


ANSWERABLE = {
    "malformed": (b"<createOrderByValueRequest><serviceOrderValue>", CREATE, "malformed XML"),
    "wrong namespace": (VALID.replace(NS.encode(), b"urn:somebody:else"), {}, "not in namespace"),
    "fails the XSD": (
        request_body("createOrderByValue", "<serviceOrderValue><colour>red</colour></serviceOrderValue>"),
        {},
        "not valid against the ordermanagement schema",
    ),
    "external entity": (XXE, {}, "DOCTYPE and entity declarations are not accepted"),
    "entity expansion": (LAUGHS, CREATE, "DOCTYPE and entity declarations are not accepted"),
    "oversize": (
        request_body(
            "createOrderByValue",
            f"<serviceOrderValue><description>{'x' * LIMIT}</description></serviceOrderValue>",
        ),
        {},
        f"exceeds the limit of {LIMIT}",
    ),
}


@pytest.mark.parametrize("case", ANSWERABLE)
async def test_answerable_bad_input_gets_an_exception_reply_and_changes_nothing(case, small_gateway, client):
    body, headers, reason = ANSWERABLE[case]
    reply = await client.call_raw(body, headers=headers)
    assert reply.name == "createOrderByValueException"
    assert reply.headers["OSS_MESSAGE_TYPE"] == "EXCEPTION"
    assert reply.text("om:illegalArgumentException/om:code") == "illegalArgument"
    assert reason in (reply.text("om:illegalArgumentException/om:message") or "")
    assert await small_gateway.order_count() == 0
    assert (await client.call_raw(VALID)).name == "createOrderByValueResponse"


async def test_a_value_the_schema_refuses_is_an_illegal_attribute_value(small_gateway, client):
    body = request_body("createOrderByValue", "<serviceOrderValue><priority>9</priority></serviceOrderValue>")
    reply = await client.call_raw(body)
    assert reply.text("om:illegalAttributeValueException/om:code") == "illegalAttributeValue"
    assert reply.text("om:illegalAttributeValueException/om:attribute") == "priority"
    assert await small_gateway.order_count() == 0


UNANSWERABLE = {
    "unknown operation": (request_body("launchRocket"), True, {}, "launchRocketRequest is not a request"),
    "a response sent as a request": (
        f'<getEventTypesResponse xmlns="{NS}"/>'.encode(),
        True,
        {},
        "getEventTypesResponse is not a request",
    ),
    "no reply_to": (VALID, False, {}, "no reply_to"),
    "malformed, no message name": (b"<<<", True, {}, "malformed XML"),
    "external entity, unknown element": (
        XXE.replace(b"createOrderByValueRequest", b"x"),
        True,
        {},
        "DOCTYPE",
    ),
    "oversize, unknown message name": (
        b"<a>" + b"x" * LIMIT + b"</a>",
        True,
        {"OSS_MESSAGE_NAME": "a"},
        "exceeds",
    ),
}


@pytest.mark.parametrize("case", UNANSWERABLE)
async def test_unanswerable_input_goes_to_the_dead_letter_queue_with_its_reason(case, small_gateway, client):
    body, reply, headers, reason = UNANSWERABLE[case]
    message_id = await client.send(body, reply=reply, headers={**headers, "OSS_REQUEST_SENDER_ID": "crm-7"})
    (dead,) = await take_dead_letters(small_gateway.amqp_url, 1)
    assert reason in dead.reason
    assert dead.body == body
    assert dead.message_id == message_id
    assert dead.headers["OSS_REQUEST_SENDER_ID"] == "crm-7"
    assert not client.replies[message_id]
    assert await small_gateway.order_count() == 0
    assert (await client.call_raw(VALID)).name == "createOrderByValueResponse"
