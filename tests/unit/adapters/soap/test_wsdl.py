"""Building the WSDL at start-up: operations from the XSD, the address per request."""

from __future__ import annotations

from lxml import etree

from adapters.soap.wsdl import WsdlDocument, request_operations, xsd_root
from adapters.xml import XmlOrderOperations


def test_the_xsd_request_elements_are_exactly_the_executable_operations():
    assert sorted(request_operations(xsd_root())) == XmlOrderOperations(None).operations  # type: ignore[arg-type]


def test_the_address_is_escaped_into_the_document():
    schema = xsd_root()
    document = WsdlDocument(request_operations(schema), schema)
    wsdl = etree.fromstring(document.for_address('http://h.example/soap/OrderManagement?a="1"&b=<2>'))
    (address,) = wsdl.xpath("//*[local-name()='address']/@location")
    assert address == 'http://h.example/soap/OrderManagement?a="1"&b=<2>'
