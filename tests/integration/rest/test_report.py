"""GET /tmf-api/ordergate/v1/report/provisioning over real HTTP: JSON and CSV, who sees what, refusals."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from adapters.rest.openapi import build_document
from adapters.rest.report import CSV_COLUMNS, PATH, prefers_csv
from tests.integration.rest.gateway import RestGateway
from tests.integration.rest.tmf import RESOURCE, SERVICE, item, order_body


def window() -> dict[str, str]:
    now = datetime.now(UTC)
    return {
        "from": (now - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
        "to": (now + timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
    }


async def created(rest: RestGateway, actor: str, body: dict) -> str:
    reply = await rest.call(actor, "POST", SERVICE.collection_path, json=body)
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


async def completed(rest: RestGateway, order_id: str, *items: str) -> None:
    url = f"{SERVICE.collection_path}/{order_id}"
    assert (await rest.call("alice", "PATCH", url, json={"state": "inProgress"})).status == 200
    body = {SERVICE.item_key: [{"id": i, "state": "completed"} for i in items]}
    reply = await rest.call("noc", "PATCH", url, json=body)
    assert reply.status == 200, reply.body


async def service_book(rest: RestGateway) -> None:
    """alice: one order completed, one open and late (fibre-100 + router); bob: one open."""
    done = await created(rest, "alice", order_body(SERVICE, "1"))
    late = order_body(SERVICE, "1", requestedCompletionDate="2020-01-01T00:00:00Z")
    late[SERVICE.item_key].append(item(SERVICE, "2", "router"))
    await created(rest, "alice", late)
    await created(rest, "bob", order_body(SERVICE, "1"))
    await completed(rest, done, "1")


async def test_a_client_gets_the_figures_of_its_own_orders_as_json(rest: RestGateway):
    await service_book(rest)
    reply = await rest.call("alice", "GET", PATH, params={"kind": "serviceOrder", **window()})
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("application/json")
    body = reply.body
    assert body["@type"] == "ProvisioningReport"
    assert set(body) == {"from", "to", "generatedAt", "kinds", "@type"}
    (service,) = body["kinds"]
    figures = {k: service[k] for k in ("ordered", "completed", "failed", "cancelled", "open", "inJeopardy")}
    assert figures == {"ordered": 2, "completed": 1, "failed": 0, "cancelled": 0, "open": 1, "inJeopardy": 1}
    lead = service["leadTime"]
    assert 0 <= lead["median"] == lead["p90"] == lead["max"] < 60
    specs = {s["specification"]: s for s in service["specifications"]}
    assert list(specs) == ["fibre-100", "router"]
    assert (specs["router"]["ordered"], specs["router"]["inJeopardy"], specs["router"]["leadTime"]) == (
        1,
        1,
        None,
    )
    assert "actions" not in specs["router"]  # per action: resource orders only


async def test_an_admin_sees_every_clients_orders(rest: RestGateway):
    await service_book(rest)
    alices = (await rest.call("alice", "GET", PATH, params=window())).body
    admins = (await rest.call("admin", "GET", PATH, params=window())).body
    assert [k["kind"] for k in admins["kinds"]] == [
        "productOrder",
        "serviceOrder",
        "resourceOrder",
        "workOrder",
    ]
    assert admins["kinds"][1]["ordered"] >= alices["kinds"][1]["ordered"] + 1


async def test_csv_has_a_header_and_one_row_per_kind_specification_and_action(rest: RestGateway):
    port = {
        "id": "1",
        "action": "add",
        RESOURCE.entity_key: {RESOURCE.specification_key: {"id": "=olt-port"}},
    }
    reply = await rest.call("alice", "POST", RESOURCE.collection_path, json={RESOURCE.item_key: [port]})
    assert reply.status == 201, reply.body
    headers = {**rest.auth("alice"), "Accept": "text/csv"}
    params = {"kind": "resourceOrder", **window()}
    async with rest.session.get(rest.url + PATH, params=params, headers=headers) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert r.headers["Vary"] == "Accept"
        rows = list(csv.reader(io.StringIO(await r.text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r[:4] for r in rows[1:]] == [
        ["kind", "resourceOrder", "", ""],
        ["specification", "resourceOrder", "'=olt-port", ""],  # never a formula in a spreadsheet
        ["action", "resourceOrder", "'=olt-port", "add"],
    ]
    assert [r[4:] for r in rows[1:]] == [["1", "0", "0", "0", "1", "0", "", "", ""]] * 3


def test_the_accept_header_decides_csv_or_json():
    assert prefers_csv("text/csv")
    assert prefers_csv("text/csv, */*;q=0.5")
    assert prefers_csv("text/csv, */*")  # the specific range wins
    assert not prefers_csv(None)
    assert not prefers_csv("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert not prefers_csv("application/json, text/csv;q=0.5")
    assert not prefers_csv("text/csv;q=0")


async def test_bad_requests_are_refused_as_every_tmf_request_is(rest: RestGateway):
    cases = [
        ({"kind": "pizzaOrder"}, "illegalAttributeValue"),
        ({"from": "yesterday"}, "illegalAttributeValue"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "illegalArgument"),
        ({"limit": "3"}, "malformedRequest"),
    ]
    for params, code in cases:
        reply = await rest.call("alice", "GET", PATH, params=params)
        assert (reply.status, reply.body["code"]) == (400, code), params
    async with rest.session.get(rest.url + PATH) as r:
        assert r.status == 401


def test_the_openapi_document_describes_the_report():
    doc = build_document()
    op = doc["paths"][PATH]["get"]
    assert [p["name"] for p in op["parameters"]] == ["kind", "from", "to"]
    assert "text/csv;charset=utf-8" in op["produces"]
    assert op["responses"]["200"]["schema"] == {"$ref": "#/definitions/Ordergate_ProvisioningReport"}
    assert "Ordergate_ProvisioningFigures" in doc["definitions"]
