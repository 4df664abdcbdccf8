"""Decomposition seen through REST: the catalog, the links both ways, milestones, the parts' events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.rest.gateway import RestGateway, running_gateway
from tests.integration.rest.tmf import PRODUCT, RESOURCE, SERVICE, WORK, conforms

CATALOG = Path(__file__).resolve().parents[3] / "deploy" / "catalog.example.yaml"


@pytest.fixture
async def rest(database_url: str, tmp_path: Path) -> AsyncIterator[RestGateway]:
    async with running_gateway(database_url, tmp_path, catalog_path=str(CATALOG)) as gateway:
        yield gateway


BROADBAND = {
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "fibre-broadband", "name": "Fibre broadband"},
            "product": {"productCharacteristic": [{"name": "downloadSpeed", "value": "1G"}]},
        }
    ]
}


async def test_the_catalog_is_served(rest: RestGateway):
    catalog = (await rest.call("alice", "GET", "/tmf-api/ordergate/v1/catalog")).body
    assert [e["id"] for e in catalog["products"]] == ["fibre-broadband"]
    assert [e["id"] for e in catalog["services"]] == ["internet-access-cfs", "voice-cfs"]


async def test_a_started_product_order_shows_its_parts_and_they_their_parent(rest: RestGateway):
    order = (await rest.call("alice", "POST", PRODUCT.collection_path, json=BROADBAND)).body
    url = f"{PRODUCT.collection_path}/{order['id']}"
    started = await rest.call("alice", "PATCH", url, json={"state": "inProgress"})
    assert started.status == 200, started.body
    (realizing, waiting) = started.body["productOrderItem"][0]["realizingOrder"]
    assert (realizing["part"], realizing["@referredType"]) == ("internet", "ServiceOrder")
    assert realizing["href"].endswith(f"{SERVICE.collection_path}/{realizing['id']}")
    assert (waiting["part"], "id" in waiting) == ("voice", False)
    conforms(PRODUCT, "ProductOrder", started.body)
    listed = await rest.call("alice", "GET", f"{SERVICE.collection_path}?parentOrder.id={order['id']}")
    (service,) = listed.body
    assert service["id"] == realizing["id"]
    assert service["parentOrder"] == {
        "id": order["id"],
        "href": started.body["href"],
        "@referredType": "ProductOrder",
        "orderItemId": "1",
    }
    assert {"id": order["id"], "relationshipType": "realizes"} in service["orderRelationship"]
    assert service["serviceOrderItem"][0]["service"]["serviceCharacteristic"][0] == {"name": "bandwidth", "value": "1G"}
    conforms(SERVICE, "ServiceOrder", service)
    below = await rest.call("noc", "GET", f"{RESOURCE.collection_path}?parentOrder.id={service['id']}")
    assert sorted(r["orderItem"][0]["id"] for r in below.body) == ["olt-port"]
    visits = await rest.call("noc", "GET", f"{WORK.collection_path}?parentOrder.id={service['id']}")
    assert [w["workOrderItem"][0]["id"] for w in visits.body] == ["ont-installation"]


async def test_a_fulfiller_reports_a_milestone(rest: RestGateway):
    order = (await rest.call("alice", "POST", WORK.collection_path, json={"workOrderItem": [{"id": "1", "action": "add", "work": {"workSpecification": {"id": "visit"}}}]})).body
    url = f"{WORK.collection_path}/{order['id']}"
    await rest.call("alice", "PATCH", url, json={"state": "inProgress"})
    reported = await rest.call("noc", "POST", url + "/milestone", json={"name": "technicianOnSite", "status": "reached"})
    assert reported.status == 201, reported.body
    (milestone,) = reported.body["milestone"]
    assert (milestone["name"], milestone["status"]) == ("technicianOnSite", "reached")
    refused = await rest.call("alice", "POST", url + "/milestone", json={"name": "x"})
    assert refused.status == 403
    read_only = await rest.call("alice", "PATCH", url, json={"milestone": [milestone]})
    assert read_only.status == 400
    assert "milestone: is read-only" in read_only.body["message"]
