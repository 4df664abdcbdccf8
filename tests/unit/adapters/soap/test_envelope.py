"""Reading SOAP 1.1 envelopes: what SOAP asks of them, before any operation runs."""

from __future__ import annotations

import pytest
from lxml import etree

from adapters.soap.envelope import SOAP11_ENV, SOAP12_ENV, read_request, response_bytes
from adapters.soap.faults import CLIENT, MUST_UNDERSTAND, VERSION_MISMATCH, SoapFault
from adapters.xml import NS

OPERATIONS = frozenset({"getOrderTypes", "startOrderByKey"})
REQUEST = f'<getOrderTypesRequest xmlns="{NS}"/>'


def envelope(body: str = REQUEST, header: str | None = None, ns: str = SOAP11_ENV) -> bytes:
    head = "" if header is None else f"<e:Header>{header}</e:Header>"
    return f'<e:Envelope xmlns:e="{ns}">{head}<e:Body>{body}</e:Body></e:Envelope>'.encode()


def refused(data: bytes, max_bytes: int = 10_000) -> SoapFault:
    with pytest.raises(SoapFault) as info:
        read_request(data, max_bytes, OPERATIONS)
    assert info.value.detail is None
    return info.value


def test_the_body_element_names_the_operation():
    request = read_request(envelope(f"<!-- why -->\n  {REQUEST}\n"), 10_000, OPERATIONS)
    assert request.operation == "getOrderTypes"
    assert etree.QName(request.element).text == f"{{{NS}}}getOrderTypesRequest"


def test_version_mismatch_for_soap12_or_any_other_envelope_namespace():
    assert refused(envelope(ns=SOAP12_ENV)).code == VERSION_MISMATCH
    assert refused(envelope(ns="urn:not-soap")).code == VERSION_MISMATCH
    assert refused(REQUEST.encode()).code == CLIENT


def test_must_understand_headers_are_refused_and_others_ignored():
    understand = f'<h xmlns="urn:h" e:mustUnderstand="1" xmlns:e="{SOAP11_ENV}"/>'
    assert refused(envelope(header=understand)).code == MUST_UNDERSTAND
    optional = f'<h xmlns="urn:h" e:mustUnderstand="0" xmlns:e="{SOAP11_ENV}"/>'
    assert read_request(envelope(header=optional), 10_000, OPERATIONS).operation == "getOrderTypes"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (envelope("")[:-5], "malformed"),
        (envelope(""), "exactly one"),
        (envelope(REQUEST * 2), "exactly one"),
        (envelope(f'<queryOrdersRequest xmlns="{NS}"/>'), "unknown operation"),
        (envelope(f'<getOrderTypesResponse xmlns="{NS}"/>'), "unknown operation"),
        (b'<!DOCTYPE e [<!ENTITY a "b">]>' + envelope(), "DOCTYPE"),
        (f'<e:Envelope xmlns:e="{SOAP11_ENV}"/>'.encode(), "no Body"),
        (envelope(REQUEST + " " * 20_000), "exceeds the limit"),
    ],
)
def test_unservable_envelopes_are_client_faults(data, says):
    fault = refused(data)
    assert fault.code == CLIENT
    assert says in fault.message


def test_responses_travel_in_a_soap11_body():
    reply = etree.fromstring(response_bytes(etree.Element(f"{{{NS}}}getOrderTypesResponse")))
    assert etree.QName(reply).text == f"{{{SOAP11_ENV}}}Envelope"
    assert etree.QName(reply[0][0]).localname == "getOrderTypesResponse"
