"""The shared XML operations over the in-memory store: every response valid against the XSD."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from adapters.memory import MemoryOrderStore
from adapters.xml import NS, XmlOrderOperations, error_element, error_kind_of, event_element, parse_message
from adapters.xml.schema import XSD_PATH, XmlRejected, validate
from core.domain.errors import OrderError
from core.domain.model import Caller, Role
from core.usecases import OrderManagement

ALICE = Caller("alice")
NOC = Caller("noc", frozenset({Role.FULFILLER}))
INDEPENDENT = xmlschema.XMLSchema(str(XSD_PATH))

SERVICE_VALUE = """
<serviceOrderValue>
  <externalId>ext-1</externalId>
  <priority>4</priority>
  <requestedStartDate>2026-12-01T10:00:00Z</requestedStartDate>
  <items>
    <item><id>1</id><action>add</action>
      <entity><specification><id>fibre-1g</id></specification>
        <characteristic><name>speed</name><value>1G</value></characteristic></entity></item>
    <item><id>2</id><action>add</action><entity><specification><id>router</id></specification></entity>
      <relationship><type>dependsOn</type><itemId>1</itemId></relationship></item>
  </items>
</serviceOrderValue>"""


def request(op: str, body: str) -> etree._Element:
    root = parse_message(f'<{op}Request xmlns="{NS}">{body}</{op}Request>'.encode())
    validate(root)
    return root


@pytest.fixture
def ops() -> XmlOrderOperations:
    return XmlOrderOperations(OrderManagement(MemoryOrderStore()))


async def call(ops: XmlOrderOperations, caller: Caller, op: str, body: str = "") -> etree._Element:
    (response,) = await ops.execute(caller, request(op, body))
    INDEPENDENT.validate(etree.tostring(response))
    return response


def text(el: etree._Element, path: str) -> str | None:
    return el.findtext(path, namespaces={"om": NS, "fn": "http://www.w3.org/2005/xpath-functions"})


async def created(ops: XmlOrderOperations) -> str:
    response = await call(ops, ALICE, "createOrderByValue", SERVICE_VALUE)
    return text(response, "om:serviceOrderValue/om:key/om:primaryKey") or ""


async def test_create_answers_the_order_with_ossj_state_and_priority(ops):
    response = await call(ops, ALICE, "createOrderByValue", SERVICE_VALUE)
    value = response.find("om:serviceOrderValue", {"om": NS})
    assert text(value, "om:state") == "open.not_running.not_started"
    assert text(value, "om:priority") == "4"
    # a free JSON value, given as plain text, is answered in the JSON-as-XML form
    fn = "{http://www.w3.org/2005/xpath-functions}string"
    assert value.find("om:items/om:item/om:entity/om:characteristic/om:value", {"om": NS})[0].tag == fn
    assert text(value, "om:items/om:item/om:entity/om:characteristic/om:value/fn:string") == "1G"


async def test_lifecycle_by_key_and_item_state(ops):
    order_id = await created(ops)
    key = f"<key><type>serviceOrder</type><primaryKey>{order_id}</primaryKey></key>"
    started = await call(ops, ALICE, "startOrderByKey", key)
    assert text(started, "om:serviceOrderValue/om:state") == "open.running"
    for item in ("1", "2"):
        done = await call(
            ops, NOC, "changeOrderItemState", f"{key}<itemId>{item}</itemId><state>closed.completed</state>"
        )
    assert text(done, "om:serviceOrderValue/om:state") == "closed.completed"
    history = await call(ops, ALICE, "getOrderHistoryByKey", key)
    assert len(history) >= 4


async def test_query_pages_come_in_sequence_with_end_of_reply(ops):
    for _ in range(5):
        await created(ops)
    req = request(
        "queryOrders",
        "<query><kind>serviceOrder</kind><filter><attribute>state</attribute>"
        "<value>open.not_running.not_started</value></filter></query><howMany>2</howMany>",
    )
    pages = await ops.execute(ALICE, req, all_pages=True)
    assert [text(p, "om:sequence") for p in pages] == ["1", "2", "3"]
    assert [text(p, "om:endOfReply") for p in pages] == ["false", "false", "true"]
    assert sum(len(p.find("om:values", {"om": NS})) for p in pages) == 5
    for page in pages:
        INDEPENDENT.validate(etree.tostring(page))


async def test_best_effort_results_keep_input_order_with_exceptions(ops):
    order_id = await created(ops)
    keys = (
        f"<key><type>serviceOrder</type><primaryKey>{order_id}</primaryKey></key>"
        "<key><type>serviceOrder</type><primaryKey>nope</primaryKey></key>"
    )
    response = await call(ops, ALICE, "tryStartOrdersByKeys", f"<keys>{keys}</keys>")
    results = response.findall("om:results/om:result", {"om": NS})
    assert [text(r, "om:success") for r in results] == ["true", "false"]
    assert results[1].find("om:exception/om:objectNotFoundException", {"om": NS}) is not None


async def test_core_errors_become_exception_elements_that_validate(ops):
    order_id = await created(ops)
    key = f"<key><type>serviceOrder</type><primaryKey>{order_id}</primaryKey></key>"
    with pytest.raises(OrderError) as info:
        await call(ops, ALICE, "resumeOrderByKey", key)
    element = error_element("resumeOrderByKey", info.value)
    INDEPENDENT.validate(etree.tostring(element))
    assert error_kind_of(element) == "illegalState"


async def test_events_render_valid_elements(ops):
    store = ops.orders._uow
    await created(ops)
    for event in store.outbox:
        INDEPENDENT.validate(etree.tostring(event_element(event)))


@pytest.mark.parametrize(
    "data",
    [
        b"<a>",
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
        b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>',
    ],
)
def test_unsafe_or_malformed_xml_is_rejected(data):
    with pytest.raises(XmlRejected):
        parse_message(data)


def test_oversize_messages_are_rejected():
    with pytest.raises(XmlRejected, match="exceeds"):
        parse_message(b"<a/>" + b" " * 100, max_bytes=50)


def test_the_xsd_itself_is_valid():
    assert INDEPENDENT.validity == "valid"


async def test_every_problem_of_a_value_is_named_by_its_element_path(ops):
    bad = """
<serviceOrderValue>
  <requestedStartDate>2026-12-01T10:00:00Z</requestedStartDate>
  <items>
    <item><id>1</id><action>add</action><quantity>0</quantity>
      <entity><characteristic><name>speed</name><value>1G</value></characteristic>
        <characteristic><name>x</name><value>y</value></characteristic></entity></item>
    <item><id>2</id><action>add</action><quantity>-3</quantity><entity/></item>
  </items>
</serviceOrderValue>"""
    with pytest.raises(OrderError) as caught:
        await ops.execute(ALICE, request("createOrderByValue", bad))
    exception = error_element("createOrderByValue", caught.value)
    message = text(exception, "om:illegalAttributeValueException/om:message") or ""
    assert "items/item[1]/quantity: must be at least 1" in message
    assert "items/item[2]/quantity: must be at least 1" in message
    assert text(exception, "om:illegalAttributeValueException/om:attribute") == "items/item[1]/quantity"
