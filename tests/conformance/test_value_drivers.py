"""The XML and SOAP drivers' own value conversions, apart from the gateway's behaviour.

A driver that lost or changed an attribute on its way would make the
conformance suite blame the gateway: here each official sample, in canonical
form, is written by the AMQP driver as the XSD's order value (which must
validate) and by the SOAP driver as zeep's (rendered from the served WSDL,
which must validate too), and read back unchanged (date-times as instants).
What an XML binding cannot build is refused before sending, with the error
kind the gateway would give.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from tests.conformance import official
from tests.conformance.drivers.amqp_values import Unrepresentable, XmlValues, request
from tests.conformance.drivers.json_as_xml import FN, append_json, json_of
from tests.conformance.drivers.soap_values import ZeepValues
from tests.conformance.expectations import document_checks
from tests.soap_gateway import running_gateway

XSD = Path(__file__).resolve().parents[2] / "adapters" / "xml" / "ordermanagement.xsd"
NS = "urn:ordergate:xml:om:v1"


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def _both_ways(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    got = {k: v for k, v in got.items() if k != "kind"}
    return document_checks(want, got) + document_checks(got, want)


@pytest.mark.parametrize("name", official.ORDERS)
def test_the_amqp_driver_writes_a_valid_order_value_and_reads_it_back(schema: xmlschema.XMLSchema, name: str):
    values, value = XmlValues(schema), official.canonical(name)
    root = request("createOrderByValue")

    values.order_value(root, value, official.kind_of(name).value)

    schema.validate(root)
    assert _both_ways(value, values.document(root[0])) == []


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -7, 0.99, 1e300, "", "x&<>\r\n", [], {}, {"a": [1, {"b": None}], "": "empty key"}],
)
def test_json_as_xml_carries_every_json_value(value: Any):
    holder = etree.Element("holder")
    assert json_of(append_json(holder, value)) == value


def test_json_as_xml_reads_escaped_strings_and_keys():
    el = etree.fromstring(
        f'<map xmlns="{FN}"><string key="a\\u0041" escaped-key="true" escaped="true">tab\\there</string></map>'
    )
    assert json_of(el) == {"aA": "tab\there"}


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ({"description": 42, "items": []}, "illegalAttributeValue"),  # a number where the XSD says text
        ({"items": {"id": "i1"}}, "illegalAttributeValue"),  # an object where it wraps a list
        (
            {"items": [{"id": "i1", "action": "add", "quantity": "2"}]},
            "illegalAttributeValue",
        ),  # text for xs:int
        (
            {"items": [{"id": "i1", "action": "add", "@type": 5}]},
            "illegalAttributeValue",
        ),  # an attribute is text
        ("not an order", "illegalArgument"),
    ],
)
def test_the_amqp_driver_refuses_what_no_xml_binding_builds(
    schema: xmlschema.XMLSchema, value: Any, kind: str
):
    with pytest.raises(Unrepresentable) as refused:
        XmlValues(schema).order_value(request("createOrderByValue"), value, "serviceOrder")
    assert refused.value.kind == kind


def test_an_attribute_the_type_lacks_goes_in_its_extension_for_the_gateway_to_judge(
    schema: xmlschema.XMLSchema,
):
    root = request("createOrderByValue")
    item = {
        "id": "i1",
        "action": "add",
        "entity": {"colour": "red", "@schemaLocation": "https://example.com/x"},
    }

    XmlValues(schema).order_value(root, {"items": [item]}, "serviceOrder")

    schema.validate(root)
    extension = root.find(".//om:entity/om:extension", {"om": NS})
    assert json_of(extension[0]) == {"colour": "red"}


async def test_the_soap_driver_carries_every_sample_through_zeep(
    schema: xmlschema.XMLSchema, sqlite_url: str, tmp_path: Path
):
    async with running_gateway(sqlite_url, tmp_path) as gateway:
        client = await gateway.client("alice")
    values = ZeepValues(client)
    request_element = client.get_element(f"{{{NS}}}createOrderByValueRequest")
    for name in official.ORDERS:
        value = official.canonical(name)
        rendered = etree.Element("envelope")

        request_element.render(
            rendered, request_element(**values.order_value(value, official.kind_of(name).value))
        )

        schema.validate(rendered[0])
        parsed = request_element.parse(rendered[0], client.wsdl.types)
        assert _both_ways(value, values.document(values.chosen(parsed))) == [], name
