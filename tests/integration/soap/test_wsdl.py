"""The served WSDL: one port type, every canonical operation, typed by the shared XSD itself."""

from __future__ import annotations

import asyncio

import aiohttp
import zeep
from lxml import etree

from adapters.xml import NS, XmlOrderOperations, xsd_bytes
from tests.soap_gateway import SoapGateway, plain_transport

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP_BINDING = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
NSMAP = {"wsdl": WSDL, "soap": SOAP_BINDING, "xs": XS}
OPERATIONS = XmlOrderOperations(None).operations  # type: ignore[arg-type]


async def fetch_wsdl(soap: SoapGateway, **headers: str) -> etree._Element:
    async with aiohttp.ClientSession() as http, http.get(soap.wsdl_url, headers=headers) as r:
        assert (r.status, r.content_type) == (200, "text/xml")
        return etree.fromstring(await r.read())


def names(schema: etree._Element) -> list[tuple[str, str]]:
    return [(etree.QName(el).localname, el.get("name", "")) for el in schema.iter(f"{{{XS}}}*")]


async def test_the_address_is_the_one_the_client_used(embedded_soap):
    wsdl = await fetch_wsdl(embedded_soap)
    assert wsdl.xpath("//soap:address/@location", namespaces=NSMAP) == [embedded_soap.endpoint]
    proxied = await fetch_wsdl(embedded_soap, Host="gateway.example.net:8443")
    location = proxied.xpath("//soap:address/@location", namespaces=NSMAP)
    assert location == ["http://gateway.example.net:8443/soap/OrderManagement"]


async def test_one_port_type_with_every_canonical_operation_and_its_fault(embedded_soap):
    wsdl = await fetch_wsdl(embedded_soap)
    (port_type,) = wsdl.findall("wsdl:portType", NSMAP)
    assert port_type.get("name") == "OrderManagement"
    operations = port_type.findall("wsdl:operation", NSMAP)
    assert sorted(op.get("name") for op in operations) == OPERATIONS
    messages = {m.get("name"): m for m in wsdl.findall("wsdl:message", NSMAP)}
    for op in operations:
        name = op.get("name")
        for role, suffix in (("input", "Request"), ("output", "Response"), ("fault", "Exception")):
            (ref,) = op.findall(f"wsdl:{role}", NSMAP)
            (part,) = messages[ref.get("message").split(":")[1]]
            prefix, element = part.get("element").split(":")
            assert (part.nsmap[prefix], element) == (NS, f"{name}{suffix}")


async def test_soap11_document_literal_over_http(embedded_soap):
    wsdl = await fetch_wsdl(embedded_soap)
    (binding,) = wsdl.findall("wsdl:binding/soap:binding", NSMAP)
    assert binding.attrib == {"style": "document", "transport": "http://schemas.xmlsoap.org/soap/http"}
    uses = set(
        wsdl.xpath("//wsdl:binding//soap:body/@use | //wsdl:binding//soap:fault/@use", namespaces=NSMAP)
    )
    assert uses == {"literal"}
    actions = wsdl.xpath("//wsdl:binding/wsdl:operation/soap:operation/@soapAction", namespaces=NSMAP)
    assert sorted(actions) == OPERATIONS


async def test_the_types_section_is_the_vocabulary_xsd_itself(embedded_soap):
    wsdl = await fetch_wsdl(embedded_soap)
    schema, json_schema = wsdl.findall("wsdl:types/xs:schema", NSMAP)
    assert schema.get("targetNamespace") == NS
    assert json_schema.get("targetNamespace") == "http://www.w3.org/2005/xpath-functions"
    assert names(schema) == names(etree.fromstring(xsd_bytes()))
    assert names(json_schema) == names(etree.fromstring(xsd_bytes("xpath-functions.xsd")))


async def test_zeep_builds_typed_operations_from_the_wsdl_alone(embedded_soap):
    client = await embedded_soap.client("alice")
    operations = client.wsdl.services["OrderManagementService"].ports["OrderManagement"].binding._operations
    assert sorted(operations) == OPERATIONS
    create = operations["createOrderByValue"]
    assert "serviceOrderValue: ns0:ServiceOrderValue" in create.input.signature()
    assert set(create.faults) == {"createOrderByValueException"}
    order_value = client.get_type("ns0:ServiceOrderValue")
    assert f"items: {{{NS}}}ServiceOrderItemList" in order_value.signature()
    assert f"externalReference: {{{NS}}}TMF641.ExternalReference[]" in order_value.signature()
    await asyncio.to_thread(client.service.getEventTypes)  # and the typed call answers


async def test_the_wsdl_loads_in_zeep_without_credentials(embedded_soap):
    client = await asyncio.to_thread(zeep.Client, embedded_soap.wsdl_url, transport=plain_transport())
    assert "queryOrders" in dir(client.service)
