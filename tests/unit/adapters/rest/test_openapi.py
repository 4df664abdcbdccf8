"""``GET /openapi.json`` describes every route the REST profile serves, and nothing it does not."""

from __future__ import annotations

from adapters.memory import MemoryOrderStore
from adapters.rest import _routes
from adapters.rest.openapi import build_document
from adapters.rest.settings import RestSettings
from core.usecases import OrderManagement


def test_every_served_route_is_in_the_openapi_document_and_every_documented_one_is_served():
    store = MemoryOrderStore()
    served = {(r.method.lower(), r.path) for r in _routes(OrderManagement(store), store, RestSettings())}
    doc = build_document()
    documented = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert served - documented == set()
    assert documented - served == {("get", "/openapi.json")}  # served beside the TMF routes


def test_milestones_and_the_catalog_are_described_with_their_bodies():
    doc = build_document()
    milestone = doc["paths"]["/tmf-api/serviceOrdering/v4/serviceOrder/{id}/milestone"]["post"]
    body = next(p for p in milestone["parameters"] if p["in"] == "body")
    assert body["schema"] == {"$ref": "#/definitions/Ordergate_Milestone"}
    assert milestone["responses"]["201"]["schema"] == {"$ref": "#/definitions/TMF641_ServiceOrder"}
    assert "If-Match" in {p["name"] for p in milestone["parameters"]}
    catalog = doc["paths"]["/tmf-api/ordergate/v1/catalog"]["get"]
    assert catalog["responses"]["200"]["schema"] == {"$ref": "#/definitions/Ordergate_Catalog"}
