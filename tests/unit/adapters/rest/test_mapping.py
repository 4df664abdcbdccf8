"""TMF JSON <-> canonical order document, per kind: names, shapes and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.rest.mapping import order_to_tmf, select_fields
from adapters.rest.parsing import order_value
from adapters.rest.vocabulary import KINDS
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind

PRODUCT, SERVICE, RESOURCE, WORK = (KINDS[k] for k in Kind)
BASE = "https://gw.example"

CANONICAL: dict[str, Any] = {
    "id": "o1",
    "kind": "serviceOrder",
    "clientId": "acme",
    "orderType": "ServiceOrder",
    "state": "inProgress",
    "version": 3,
    "priority": "high",
    "externalId": "crm-1",
    "notes": [{"text": "first"}, {"text": "second", "author": "jo"}],
    "relatedParties": [{"id": "c9", "role": "customer"}],
    "relationships": [{"type": "dependsOn", "orderId": "o0"}],
    "items": [
        {
            "id": "1",
            "action": "add",
            "state": "inProgress",
            "quantity": 1,
            "entity": {"specification": {"id": "fibre"}, "characteristics": {"vlan": "100"}},
        },
        {
            "id": "2",
            "action": "modify",
            "state": "completed",
            "quantity": 2,
            "entity": {"id": "svc-1", "specification": {"id": "router", "name": "Router"}},
            "relationships": [{"type": "reliesOn", "itemId": "1"}],
            "pointOfNoReturn": True,
        },
    ],
}


def test_a_service_order_renders_with_tmf641_names():
    tmf = order_to_tmf(SERVICE, CANONICAL, BASE)
    assert tmf["href"] == f"{BASE}/tmf-api/serviceOrdering/v4/serviceOrder/o1"
    assert (tmf["@type"], tmf["@baseType"], tmf["priority"]) == ("ServiceOrder", "ServiceOrder", "1")
    assert [n["id"] for n in tmf["note"]] == ["1", "2"]
    assert tmf["relatedParty"][0]["@referredType"] == "Party"
    assert tmf["orderRelationship"] == [{"id": "o0", "relationshipType": "dependsOn"}]
    first, second = tmf["serviceOrderItem"]
    assert first["service"]["serviceCharacteristic"] == [{"name": "vlan", "value": "100"}]
    assert second["service"]["id"] == "svc-1"
    assert second["serviceOrderItemRelationship"][0]["orderItem"]["itemId"] == "1"
    assert second["pointOfNoReturn"] is True
    for absent in ("version", "clientId", "kind", "items", "notes"):
        assert absent not in tmf


@pytest.mark.parametrize("kind", list(Kind))
def test_rendering_then_parsing_gives_the_canonical_value_back(kind):
    tk = KINDS[kind]
    doc = CANONICAL | {"kind": kind.value, "orderType": tk.type_name}
    if tk.single_note:
        doc = doc | {"notes": [{"text": "only"}]}
    back = order_value(tk, order_to_tmf(tk, doc, BASE))
    for key in ("id", "orderType", "state", "priority", "externalId", "relatedParties", "relationships"):
        assert back[key] == doc[key], key
    assert back["notes"] == doc["notes"]
    assert [{k: v for k, v in i.items() if k != "entity"} for i in back["items"]] == [
        {k: v for k, v in i.items() if k != "entity"} for i in doc["items"]
    ]
    assert [i["entity"] for i in back["items"]] == [i["entity"] for i in doc["items"]]


def test_resource_orders_use_integer_priority_and_mirror_the_order_type():
    tmf = order_to_tmf(RESOURCE, CANONICAL | {"kind": "resourceOrder", "orderType": "FibreOrder"}, BASE)
    assert tmf["priority"] == 1
    assert tmf["@type"] == tmf["orderType"] == "FibreOrder"
    assert tmf["orderItem"][1]["orderItemRelationship"][0]["orderItem"]["itemId"] == "1"
    assert order_value(RESOURCE, {"priority": 0})["priority"] == "expedite"
    with pytest.raises(IllegalAttributeValue):
        order_value(RESOURCE, {"@type": "A", "orderType": "B"})
    assert order_value(RESOURCE, {"orderItem": [{"id": "1", "resourceSpecification": {"id": "x"}}]})["items"][
        0
    ]["entity"] == {"specification": {"id": "x"}}


def test_work_orders_show_their_latest_note_as_one_object():
    tmf = order_to_tmf(WORK, CANONICAL | {"kind": "workOrder"}, BASE)
    assert tmf["note"] == {"id": "2", "text": "second", "author": "jo", "@type": "Note"}
    assert tmf["workOrderRelationship"] == [{"id": "o0", "relationshipType": "dependsOn"}]
    assert order_value(WORK, {"note": {"text": "ring"}})["notes"] == [{"text": "ring"}]


@pytest.mark.parametrize(
    "body",
    [
        {"billingAccount": {"id": "1"}},
        {"productOrderItem": [{"id": "1", "action": "add", "productOffering": {"id": "x"}}]},
        {"productOrderItem": [{"id": "1", "product": {"name": "x"}}]},
        {"productOrderItem": [{"id": "1", "product": {"productSpecification": {"id": "x", "version": "2"}}}]},
        {"relatedParty": [{"id": "1", "partyOrPartyRole": {}}]},
    ],
)
def test_attributes_the_gateway_cannot_keep_are_refused_by_name(body):
    with pytest.raises(IllegalArgument, match="unsupported attribute"):
        order_value(PRODUCT, body)


@pytest.mark.parametrize(
    "body",
    [
        {"productOrderItem": "not a list"},
        {"productOrderItem": ["not an object"]},
        {"productOrderItem": [{"id": "1", "product": {"productCharacteristic": [{"value": "x"}]}}]},
        {
            "productOrderItem": [
                {"id": "1", "product": {"productCharacteristic": [{"name": "a"}, {"name": "a"}]}}
            ]
        },
        {"priority": "urgent"},
        {"priority": True},
    ],
)
def test_malformed_shapes_name_the_attribute(body):
    with pytest.raises(IllegalAttributeValue):
        order_value(PRODUCT, body)


def test_meta_attributes_are_accepted_and_not_kept():
    value = order_value(
        SERVICE,
        {
            "href": "x",
            "@baseType": "y",
            "@schemaLocation": "z",
            "serviceOrderItem": [{"id": "1", "@type": "I"}],
        },
    )
    assert value == {"items": [{"id": "1", "entity": {}}]}


def test_items_of_other_orders_cannot_be_related():
    rel = {"relationshipType": "x", "orderItem": {"itemId": "1", "serviceOrderId": "other"}}
    with pytest.raises(IllegalAttributeValue, match="other orders"):
        order_value(
            SERVICE, {"id": "mine", "serviceOrderItem": [{"id": "2", "serviceOrderItemRelationship": [rel]}]}
        )


def test_field_selection_always_keeps_the_identity():
    tmf = order_to_tmf(PRODUCT, CANONICAL | {"kind": "productOrder"}, BASE)
    assert set(select_fields(tmf, frozenset({"state"}))) == {"id", "href", "@type", "@baseType", "state"}
    assert select_fields(tmf, None) == tmf
