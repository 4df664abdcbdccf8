"""The WSDL: spyne describes the interface, the shared XSD is its types section.

spyne builds the WSDL 1.1 document once, at start-up: one message per
``<op>Request``, ``<op>Response`` and ``<op>Exception`` element, one port
type ``OrderManagement`` with an operation per request element of the XSD,
the SOAP 1.1 document/literal binding and the service.  The spyne models
declared here only name those elements; spyne's own schema for them is
never emitted: the ``wsdl:types`` section is ``ordermanagement.xsd`` itself
(with the W3C JSON-as-XML schema it imports beside it), so the XSD stays the
single source of every element a client sees.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree
from spyne import AnyXml, Application, ComplexModel, Fault, ServiceBase, rpc
from spyne.interface.wsdl import Wsdl11
from spyne.protocol.soap import Soap11
from spyne.util.appreg import unregister_application

from adapters.xml import NS, xsd_bytes

SOAP_OVER_HTTP = "http://schemas.xmlsoap.org/soap/http"
SERVICE_NAME = "OrderManagement"
_ADDRESS = "urn:ordergate:soap:address-placeholder"
_XS = "http://www.w3.org/2001/XMLSchema"


def xsd_root(name: str = "ordermanagement.xsd") -> etree._Element:
    return etree.fromstring(xsd_bytes(name), etree.XMLParser(resolve_entities=False, no_network=True))


def _types(schema: etree._Element) -> dict[str, etree._Element]:
    """The schemas of ``wsdl:types``: the vocabulary, and the JSON-as-XML schema it imports (inline
    beside it, so the import needs no location a client would have to fetch)."""
    vocabulary = copy.deepcopy(schema)
    for imported in vocabulary.iterfind(f"{{{_XS}}}import"):
        imported.attrib.pop("schemaLocation", None)
    return {"om": vocabulary, "fn": xsd_root("xpath-functions.xsd")}


def request_operations(schema: etree._Element) -> list[str]:
    """Every operation of the vocabulary: the names of its ``<op>Request`` elements."""
    names = (el.get("name", "") for el in schema.iterfind(f"{{{_XS}}}element"))
    return [n.removesuffix("Request") for n in names if n.endswith("Request")]


def _element_model(name: str, base: type[Any] = ComplexModel) -> type[Any]:
    # bare messages must have a field; the placeholder is never rendered (see module doc)
    return type(name, (base,), {"__namespace__": NS, "__type_name__": name, "content": AnyXml})


def _method(operation: str) -> Any:
    def unused(ctx: object, request: object) -> None:
        raise NotImplementedError("requests are served by the SOAP endpoint, not by spyne")

    unused.__name__ = operation
    return rpc(
        _element_model(f"{operation}Request"),
        _returns=_element_model(f"{operation}Response"),
        _throws=[_element_model(f"{operation}Exception", Fault)],
        _body_style="bare",
        _operation_name=operation,
        _in_message_name=f"{operation}Request",
        _out_message_name=f"{operation}Response",
    )(unused)


class _XsdTypedWsdl(Wsdl11):  # type: ignore[misc]
    """spyne's WSDL 1.1 document with the vocabulary's XSD as its only schema."""

    def __init__(self, interface: Any, schema: etree._Element) -> None:
        super().__init__(interface)
        self._schema = schema

    def build_schema_nodes(self, with_schema_location: bool = False) -> None:
        self.schema_dict = _types(self._schema)


def build_wsdl(operations: Sequence[str], schema: etree._Element) -> bytes:
    """The WSDL with a placeholder address (see ``WsdlDocument``)."""
    service = type(f"{SERVICE_NAME}Service", (ServiceBase,), {op: _method(op) for op in operations})
    app = Application([service], tns=NS, name=SERVICE_NAME, in_protocol=Soap11(), out_protocol=Soap11())
    app.transport = SOAP_OVER_HTTP
    # the XSD refers to its own types as om:..., so the prefix must be declared above it
    app.interface.nsmap["om"] = NS
    try:
        document = _XsdTypedWsdl(app.interface, schema)
        document.build_interface_document(_ADDRESS)
        return bytes(document.get_interface_document())
    finally:
        # spyne registers every application globally; this one is done once its WSDL exists
        unregister_application(app)


class WsdlDocument:
    """The WSDL served at ``?wsdl``, its soap:address the endpoint URL the client used."""

    def __init__(self, operations: Sequence[str], schema: etree._Element) -> None:
        wsdl = build_wsdl(operations, schema)
        head, placeholder, tail = wsdl.partition(_ADDRESS.encode())
        if not placeholder or _ADDRESS.encode() in tail:
            raise RuntimeError("the WSDL must name its address exactly once")
        self._head, self._tail = head, tail

    def for_address(self, url: str) -> bytes:
        return self._head + escape(url, {'"': "&quot;"}).encode() + self._tail
