"""Bad input gets a SOAP 1.1 Fault with a clear message, and changes nothing.

These envelopes are written by hand on purpose: no standard client would
send them.  Each one wraps a valid createOrderByValueRequest, so an order
appearing afterwards would mean the gateway acted on a message it refused.
"""

from __future__ import annotations

import aiohttp
import pytest
from lxml import etree

from adapters.soap.envelope import SOAP11_ENV, SOAP12_ENV
from adapters.xml import NS
from tests.soap_gateway import SoapGateway, key_of

CREATE = (
    f'<om:createOrderByValueRequest xmlns:om="{NS}"><om:serviceOrderValue><om:items>'
    "<om:item><om:id>1</om:id><om:action>add</om:action><om:entity/></om:item>"
    "</om:items></om:serviceOrderValue></om:createOrderByValueRequest>"
)


def envelope(body: str = CREATE, header: str = "", ns: str = SOAP11_ENV) -> bytes:
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (
        f'<?xml version="1.0"?><s:Envelope xmlns:s="{ns}">{head}<s:Body>{body}</s:Body></s:Envelope>'.encode()
    )


async def post(
    soap: SoapGateway, data: bytes, content_type: str = "text/xml; charset=utf-8", **headers: str
) -> tuple[int, etree._Element]:
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {key_of('alice')}", **headers}
    async with aiohttp.ClientSession() as http, http.post(soap.endpoint, data=data, headers=headers) as r:
        assert r.content_type == "text/xml"
        return r.status, etree.fromstring(await r.read())


def fault_of(reply: etree._Element) -> tuple[str, str, etree._Element | None]:
    fault = reply.find(f"{{{SOAP11_ENV}}}Body/{{{SOAP11_ENV}}}Fault")
    assert fault is not None, etree.tostring(reply)
    return fault.findtext("faultcode") or "", fault.findtext("faultstring") or "", fault.find("detail")


async def order_count(soap: SoapGateway) -> int:
    page = await soap.call("admin", "queryOrders", query={})
    return int(page["totalCount"])


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
    + envelope("<x>&lol2;</x>")[21:]
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + envelope("&xxe;")[21:]
)


@pytest.mark.parametrize(
    ("case", "data", "content_type", "code", "says"),
    [
        ("malformed", envelope()[:-20], "text/xml", "soap:Client", "malformed XML"),
        ("not an envelope", CREATE.encode(), "text/xml", "soap:Client", "not a SOAP envelope"),
        ("SOAP 1.2 envelope", envelope(ns=SOAP12_ENV), "text/xml", "soap:VersionMismatch", "only SOAP 1.1"),
        ("SOAP 1.2 media type", envelope(), "application/soap+xml", "soap:VersionMismatch", "only SOAP 1.1"),
        ("JSON", b'{"state": "acknowledged"}', "application/json", "soap:Client", "text/xml"),
        ("entity expansion", BILLION_LAUGHS, "text/xml", "soap:Client", "DOCTYPE"),
        ("external entity", EXTERNAL_ENTITY, "text/xml", "soap:Client", "DOCTYPE"),
        ("empty body", envelope(""), "text/xml", "soap:Client", "exactly one request element"),
        ("two requests", envelope(CREATE + CREATE), "text/xml", "soap:Client", "exactly one request element"),
        (
            "unknown operation",
            envelope(f'<fly xmlns="{NS}"/>'),
            "text/xml",
            "soap:Client",
            "unknown operation",
        ),
        (
            "foreign namespace",
            envelope('<createOrderByValueRequest xmlns="urn:other"/>'),
            "text/xml",
            "soap:Client",
            "unknown operation",
        ),
        (
            "header to understand",
            envelope(header=f'<t:tx xmlns:t="urn:tx" s:mustUnderstand="1" xmlns:s="{SOAP11_ENV}"/>'),
            "text/xml",
            "soap:MustUnderstand",
            "not understood",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
async def test_refused_envelopes_fault_and_change_nothing(
    embedded_soap, case, data, content_type, code, says
):
    status, reply = await post(embedded_soap, data, content_type)
    faultcode, faultstring, detail = fault_of(reply)
    assert (status, faultcode) == (500, code), faultstring
    assert says in faultstring
    assert detail is None  # an envelope problem, not an operation's
    assert await order_count(embedded_soap) == 0


async def test_a_request_the_schema_refuses_is_an_illegal_argument_of_its_operation(embedded_soap):
    stray = CREATE.replace("</om:items>", "</om:items><om:colour>red</om:colour>")
    status, reply = await post(embedded_soap, envelope(stray))
    faultcode, faultstring, detail = fault_of(reply)
    assert (status, faultcode) == (500, "soap:Client")
    assert "colour" in faultstring
    assert detail is not None
    (exception,) = detail
    assert etree.QName(exception).localname == "createOrderByValueException"
    assert exception.findtext(f"{{{NS}}}illegalArgumentException/{{{NS}}}code") == "illegalArgument"
    assert await order_count(embedded_soap) == 0


async def test_a_header_entry_not_marked_must_understand_is_ignored(embedded_soap):
    status, reply = await post(embedded_soap, envelope(header='<t:trace xmlns:t="urn:trace">42</t:trace>'))
    assert status == 200
    assert reply.find(f"{{{SOAP11_ENV}}}Body/{{{NS}}}createOrderByValueResponse") is not None


async def test_oversize_bodies_are_refused_unread(embedded_soap):
    limit = embedded_soap.gateway.settings.max_body_bytes
    padding = f"<!-- {'x' * limit} -->"
    status, reply = await post(embedded_soap, envelope(CREATE + padding))
    faultcode, faultstring, _ = fault_of(reply)
    assert (status, faultcode) == (500, "soap:Client")
    assert f"limit of {limit}" in faultstring

    async def chunks():  # no Content-Length: the limit holds while reading
        yield envelope(CREATE + padding)

    status, reply = await post(embedded_soap, chunks())  # type: ignore[arg-type]
    assert "limit" in fault_of(reply)[1]
    assert await order_count(embedded_soap) == 0


async def test_a_soap_action_naming_another_operation_is_refused(embedded_soap):
    status, reply = await post(embedded_soap, envelope(), SOAPAction='"removeOrderByKey"')
    faultcode, faultstring, _ = fault_of(reply)
    assert (status, faultcode) == (500, "soap:Client")
    assert "SOAPAction" in faultstring
    status, _ = await post(embedded_soap, envelope(), SOAPAction='"createOrderByValue"')
    assert status == 200


async def test_get_without_wsdl_query_explains_itself(embedded_soap):
    async with aiohttp.ClientSession() as http, http.get(embedded_soap.endpoint) as r:
        assert r.status == 400
        assert "?wsdl" in await r.text()
