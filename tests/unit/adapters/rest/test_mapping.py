"""TMF JSON <-> canonical order document, per kind: names, shapes, client data and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.rest.mapping import order_to_tmf, select_fields
from adapters.rest.parsing import order_value
from adapters.rest.validation import check_body
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
    "notes": [{"text": "first", "id": "n-1"}, {"text": "second", "author": "jo"}],
    "relatedParties": [{"id": "c9", "role": "customer", "@referredType": "Individual"}],
    "relationships": [{"type": "dependsOn", "orderId": "o0"}],
    "notificationContact": "noc@example.com",
    "items": [
        {
            "id": "1",
            "action": "add",
            "state": "inProgress",
            "quantity": 1,
            "entity": {
                "specification": {"id": "fibre", "version": "2"},
                "characteristics": [{"name": "vlan", "value": {"outer": 100}, "valueType": "object"}],
                "@type": "Service",
            },
            "appointment": {"id": "ap-1"},
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
    assert [n["id"] for n in tmf["note"]] == ["n-1", "2"]  # the client's id, else the position
    assert tmf["relatedParty"][0]["@referredType"] == "Individual"
    assert tmf["orderRelationship"] == [{"id": "o0", "relationshipType": "dependsOn"}]
    assert tmf["notificationContact"] == "noc@example.com"
    first, second = tmf["serviceOrderItem"]
    assert first["service"]["serviceCharacteristic"] == [
        {"name": "vlan", "value": {"outer": 100}, "valueType": "object"}
    ]
    assert first["service"]["serviceSpecification"]["version"] == "2"
    assert first["appointment"] == {"id": "ap-1"}
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
        doc = doc | {"notes": [{"text": "only", "id": "1"}]}
    back = order_value(tk, order_to_tmf(tk, doc, BASE))
    for key in ("id", "orderType", "state", "priority", "externalId", "relationships"):
        assert back[key] == doc[key], key
    # the renderer names a party's type where the client gave none: all the client gave comes back
    assert [{k: v for k, v in p.items() if k != "@type"} for p in back["relatedParties"]] == doc["relatedParties"]
    assert back["notificationContact"] == doc["notificationContact"]
    assert [_without_defaults(i) for i in back["items"]] == [_without_defaults(i) for i in doc["items"]]


def _without_defaults(item: dict[str, Any]) -> dict[str, Any]:
    """An item with the @type defaults the renderer adds taken away again."""
    out = {k: v for k, v in item.items() if k != "@type"}
    entity = dict(out.get("entity", {}))
    entity.pop("@type", None) if entity.get("@type") in (None, "Service", "Product", "Resource", "Work") else None
    if "specification" in entity:
        entity["specification"] = {k: v for k, v in entity["specification"].items() if k != "@type"}
    out["entity"] = entity
    out["relationships"] = [
        {k: v for k, v in r.items() if k != "orderItem"} for r in out.get("relationships", [])
    ]
    return out


def test_resource_orders_use_integer_priority_and_mirror_the_order_type():
    tmf = order_to_tmf(RESOURCE, CANONICAL | {"kind": "resourceOrder", "orderType": "FibreOrder"}, BASE)
    assert tmf["priority"] == 1
    assert tmf["@type"] == tmf["orderType"] == "FibreOrder"
    assert tmf["orderItem"][1]["orderItemRelationship"][0]["orderItem"]["itemId"] == "1"
    assert order_value(RESOURCE, {"priority": 0})["priority"] == "expedite"
    with pytest.raises(IllegalAttributeValue):
        order_value(RESOURCE, {"@type": "A", "orderType": "B"})
    # an item-level specification is the item's own attribute: kept where the client put it
    item = order_value(RESOURCE, {"orderItem": [{"id": "1", "resourceSpecification": {"id": "x"}}]})["items"][0]
    assert item["resourceSpecification"] == {"id": "x"}


def test_work_orders_show_their_latest_note_as_one_object():
    tmf = order_to_tmf(WORK, CANONICAL | {"kind": "workOrder", "workOrderVersion": "3"}, BASE)
    assert tmf["note"] == {"id": "2", "text": "second", "author": "jo"}
    assert tmf["workOrderRelationship"] == [{"id": "o0", "relationshipType": "dependsOn"}]
    assert tmf["version"] == "3"  # TMF697's own version of the work order, not the gateway's
    assert order_value(WORK, {"note": {"text": "ring"}})["notes"] == [{"text": "ring"}]
    assert order_value(WORK, {"version": "4"})["workOrderVersion"] == "4"


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"productOrderItem": [{"id": "1", "action": "add", "colour": "x"}]}, ["productOrderItem[0].colour"]),
        (
            {"billingAccount": {"id": "1", "size": 2}, "vip": True, "productOrderItem": []},
            ["billingAccount.size", "vip"],
        ),
        (
            {"productOrderItem": [{"id": "1", "action": "add", "product": {"productSpecification": {"x": 1}}}]},
            ["productOrderItem[0].product.productSpecification.x"],
        ),
    ],
)
def test_attributes_no_schema_defines_are_refused_all_at_once_by_their_tmf_names(body, names):
    with pytest.raises(IllegalArgument) as caught:
        check_body(PRODUCT, body)
    for name in names:
        assert f"{name}: unknown attribute" in caught.value.message


def test_an_extension_object_with_its_own_schema_keeps_attributes_its_base_lacks():
    spec = {"id": "x", "@schemaLocation": "https://schemas.example/onap.json", "invariantUUID": "1-2"}
    check_body(SERVICE, {"serviceOrderItem": [{"id": "1", "action": "add", "service": {"serviceSpecification": spec}}]})


@pytest.mark.parametrize(
    "body",
    [
        {"productOrderItem": "not a list"},
        {"productOrderItem": ["not an object"]},
        {"productOrderItem": [{"id": "1", "action": "add", "product": {"productCharacteristic": [{"value": "x"}]}}]},
        {"productOrderItem": [{"id": "1", "action": "add"}], "requestedStartDate": "tomorrow"},
        {"productOrderItem": [{"id": "1", "action": "add"}], "priority": 1},
    ],
)
def test_malformed_shapes_are_refused_naming_the_attribute(body):
    with pytest.raises(IllegalArgument):
        check_body(PRODUCT, body)


def test_server_owned_attributes_are_named_as_read_only():
    with pytest.raises(IllegalArgument, match="state: is read-only") as caught:
        check_body(SERVICE, {"state": "completed", "orderDate": "2020-01-01T00:00:00Z", "serviceOrderItem": []})
    assert "orderDate: is read-only" in caught.value.message


def test_polymorphic_attributes_are_client_data_and_the_document_href_is_not():
    value = order_value(
        SERVICE,
        {"href": "x", "@baseType": "y", "@schemaLocation": "z", "serviceOrderItem": [{"id": "1", "@type": "I"}]},
    )
    assert value == {"@baseType": "y", "@schemaLocation": "z", "items": [{"id": "1", "@type": "I"}]}


def test_items_of_other_orders_cannot_be_related():
    rel = {"relationshipType": "x", "orderItem": {"itemId": "1", "serviceOrderId": "other"}}
    with pytest.raises(IllegalArgument, match="other orders"):
        order_value(
            SERVICE, {"id": "mine", "serviceOrderItem": [{"id": "2", "serviceOrderItemRelationship": [rel]}]}
        )


def test_field_selection_keeps_the_identity_and_follows_paths():
    tmf = order_to_tmf(PRODUCT, CANONICAL | {"kind": "productOrder"}, BASE)
    assert set(select_fields(tmf, frozenset({"state"}))) == {"id", "href", "@type", "@baseType", "state"}
    assert select_fields(tmf, None) == tmf
    picked = select_fields(tmf, frozenset({"productOrderItem.appointment"}))
    assert picked["productOrderItem"] == [{"id": "1", "appointment": {"id": "ap-1"}}, {"id": "2"}]
