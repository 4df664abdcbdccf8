"""SOAP 1.1 envelopes in and out, with lxml.

Reading goes through the vocabulary's hardened parser (no DTD, no entities,
size limit), then checks what SOAP 1.1 asks of an envelope: its namespace
(else VersionMismatch), header entries a receiver must understand (we
understand none: MustUnderstand), and a Body holding exactly one request
element of the vocabulary.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

from lxml import etree

from adapters.soap.faults import CLIENT, MUST_UNDERSTAND, VERSION_MISMATCH, SoapFault
from adapters.xml import NS, XmlRejected, parse_message

SOAP11_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV = "http://www.w3.org/2003/05/soap-envelope"
_ENV_NSMAP = {"soap": SOAP11_ENV}


def _env(name: str) -> str:
    return f"{{{SOAP11_ENV}}}{name}"


@dataclass(frozen=True)
class SoapRequest:
    """The operation a Body asks for and its ``<op>Request`` element."""

    operation: str
    element: etree._Element


def _check_envelope(root: etree._Element) -> None:
    name = etree.QName(root)
    if name.namespace == SOAP11_ENV and name.localname == "Envelope":
        return
    if name.localname == "Envelope" or name.namespace == SOAP12_ENV:
        raise SoapFault(
            VERSION_MISMATCH,
            f"only SOAP 1.1 is served: the Envelope must be in namespace {SOAP11_ENV}, not {name.namespace}",
        )
    raise SoapFault(CLIENT, f"not a SOAP envelope: the root element is {name.text}")


def _check_headers(root: etree._Element) -> None:
    header = root.find(_env("Header"))
    if header is None:
        return
    for entry in header:
        if not isinstance(entry.tag, str):
            continue
        if entry.get(_env("mustUnderstand"), "0").strip() == "1":
            raise SoapFault(MUST_UNDERSTAND, f"header entry {entry.tag} is not understood")


def _body_element(root: etree._Element) -> etree._Element:
    body = root.find(_env("Body"))
    if body is None:
        raise SoapFault(CLIENT, "the envelope has no Body")
    elements = [c for c in body if isinstance(c.tag, str)]
    if len(elements) != 1:
        raise SoapFault(CLIENT, f"the Body must hold exactly one request element, not {len(elements)}")
    return elements[0]


def read_request(data: bytes, max_bytes: int, operations: Container[str]) -> SoapRequest:
    """The request in a SOAP 1.1 envelope; SoapFault (with no detail) when there is none to serve."""
    try:
        root = parse_message(data, max_bytes)
    except XmlRejected as e:
        raise SoapFault(CLIENT, str(e)) from None
    _check_envelope(root)
    _check_headers(root)
    element = _body_element(root)
    name = etree.QName(element)
    operation = name.localname.removesuffix("Request")
    if name.namespace != NS or not name.localname.endswith("Request") or operation not in operations:
        raise SoapFault(CLIENT, f"unknown operation: no operation takes a {name.text} element")
    return SoapRequest(operation, element)


def _envelope(content: etree._Element) -> bytes:
    envelope = etree.Element(_env("Envelope"), nsmap=_ENV_NSMAP)
    etree.SubElement(envelope, _env("Body")).append(content)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def response_bytes(response: etree._Element) -> bytes:
    return _envelope(response)


def fault_bytes(fault: SoapFault) -> bytes:
    element = etree.Element(_env("Fault"), nsmap=_ENV_NSMAP)
    # faultcode is a QName in the envelope namespace; the children are unqualified (SOAP 1.1 §4.4)
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = fault.message
    if fault.detail is not None:
        etree.SubElement(element, "detail").append(fault.detail)
    return _envelope(element)
