"""The four order resources over real HTTP: create, read, list, PATCH, DELETE, history, dryRun."""

from __future__ import annotations

import pytest

from tests.integration.rest.gateway import RestGateway
from tests.integration.rest.tmf import ALL_KINDS, PRODUCT, RESOURCE, SERVICE, WORK, conforms, order_body


def _ids(tk):
    return tk.api


@pytest.mark.parametrize("tk", ALL_KINDS, ids=_ids)
async def test_create_answers_201_with_location_etag_and_a_conforming_order(rest: RestGateway, tk):
    body = order_body(tk, externalId="crm-7", priority=1 if tk is RESOURCE else "1", description="home")
    created = await rest.call("alice", "POST", tk.collection_path, json=body)
    assert created.status == 201, created.body
    order = created.body
    assert created.headers["Location"] == order["href"] == f"{rest.url}{tk.collection_path}/{order['id']}"
    assert created.headers["ETag"] == '"1"'
    assert (order["@type"], order["@baseType"], order["state"]) == (
        tk.type_name,
        tk.type_name,
        "acknowledged",
    )
    assert order["priority"] == (1 if tk is RESOURCE else "1")
    assert [i["state"] for i in order[tk.item_key]] == ["acknowledged", "acknowledged"]
    conforms(tk, tk.type_name, order)
    read = await rest.call("alice", "GET", f"{tk.collection_path}/{order['id']}")
    assert read.status == 200
    assert read.body == order
    assert read.headers["ETag"] == '"1"'


FULL_SERVICE_ORDER = {
    "externalId": "crm-1",
    "description": "fibre for the new office",
    "category": "business",
    "priority": "0",
    "requestedStartDate": "2031-01-01T08:00:00Z",
    "requestedCompletionDate": "2031-01-10T08:00:00Z",
    "note": [{"text": "call first", "author": "jo", "date": "2030-12-01T10:00:00Z"}],
    "relatedParty": [{"id": "cust-9", "role": "customer", "name": "ACME", "@referredType": "Organization"}],
    "orderRelationship": [{"id": "so-1", "relationshipType": "dependsOn"}],
    "serviceOrderItem": [
        {
            "id": "1",
            "action": "add",
            "quantity": 2,
            "service": {
                "serviceSpecification": {"id": "fibre-1g", "name": "Fibre 1G"},
                "serviceCharacteristic": [{"name": "vlan", "value": "100", "valueType": "string"}],
            },
        },
        {
            "id": "2",
            "action": "modify",
            "service": {"id": "svc-42", "serviceSpecification": {"id": "router"}},
            "serviceOrderItemRelationship": [{"relationshipType": "dependsOn", "orderItem": {"itemId": "1"}}],
        },
    ],
}


async def test_an_order_round_trips_every_supported_attribute(rest: RestGateway):
    tk = SERVICE
    body = FULL_SERVICE_ORDER
    created = await rest.call("alice", "POST", tk.collection_path, json=body)
    assert created.status == 201, created.body
    order = created.body
    conforms(tk, "ServiceOrder", order)
    for key in (
        "externalId",
        "description",
        "category",
        "priority",
        "requestedStartDate",
        "requestedCompletionDate",
    ):
        assert order[key] == body[key]
    assert order["note"][0] == {**body["note"][0], "id": "1"}
    assert order["relatedParty"][0]["id"] == "cust-9"
    assert order["relatedParty"][0]["role"] == "customer"
    assert order["orderRelationship"] == [{"id": "so-1", "relationshipType": "dependsOn"}]
    first, second = order["serviceOrderItem"]
    assert first["quantity"] == 2
    assert first["service"]["serviceSpecification"]["name"] == "Fibre 1G"
    assert first["service"]["serviceCharacteristic"] == [{"name": "vlan", "value": "100", "valueType": "string"}]
    assert second["service"]["id"] == "svc-42"
    assert second["serviceOrderItemRelationship"][0]["orderItem"]["itemId"] == "1"


async def test_work_orders_carry_one_note_and_resource_orders_an_integer_priority(rest: RestGateway):
    work = await rest.call(
        "alice", "POST", WORK.collection_path, json=order_body(WORK, note={"text": "ring twice"})
    )
    assert work.status == 201, work.body
    assert work.body["note"]["text"] == "ring twice"
    conforms(WORK, "WorkOrder", work.body)
    bad = await rest.call(
        "alice", "POST", RESOURCE.collection_path, json=order_body(RESOURCE, priority="high")
    )
    assert bad.status == 400
    assert bad.body["code"] == "illegalAttributeValue"


async def test_an_infeasible_order_is_stored_rejected_and_dry_run_stores_nothing(rest: RestGateway):
    tk = PRODUCT
    infeasible = {tk.item_key: [{"id": "1", "action": "add"}]}
    report = await rest.call("alice", "POST", tk.collection_path + "?dryRun=true", json=infeasible)
    assert report.status == 200
    assert report.body["feasible"] is False
    assert report.body[tk.item_key][0]["reasons"] == ["names no product specification or product offering"]
    listed = await rest.call("alice", "GET", tk.collection_path)
    assert listed.headers["X-Total-Count"] == "0"
    created = await rest.call("alice", "POST", tk.collection_path, json=infeasible)
    assert created.status == 201
    assert created.body["state"] == "rejected"
    assert "names no product specification" in created.body["stateReason"]


async def test_list_filters_sorts_pages_and_selects_fields(rest: RestGateway):
    tk = PRODUCT
    ids = []
    for n in range(3):
        created = await rest.call(
            "alice", "POST", tk.collection_path, json=order_body(tk, externalId=f"crm-{n}")
        )
        ids.append(created.body["id"])
    started = await rest.call(
        "alice", "PATCH", f"{tk.collection_path}/{ids[1]}", json={"state": "inProgress"}
    )
    assert started.status == 200
    path = tk.collection_path

    async def listed(query: str) -> tuple[list[str], str]:
        reply = await rest.call("alice", "GET", f"{path}?{query}")
        assert reply.status == 200, reply.body
        assert reply.headers["X-Result-Count"] == str(len(reply.body))
        return [o["id"] for o in reply.body], reply.headers["X-Total-Count"]

    assert await listed("state=inProgress") == ([ids[1]], "1")
    assert await listed("state=inProgress,acknowledged&sort=externalId") == (ids, "3")
    assert await listed("productOrderItem.state=inProgress") == ([ids[1]], "1")
    assert await listed("externalId=crm-0,crm-2&sort=-externalId") == ([ids[2], ids[0]], "2")
    assert await listed("sort=externalId&offset=1&limit=1") == ([ids[1]], "3")
    assert (await listed("orderDate.gt=2000-01-01T00:00:00Z"))[1] == "3"
    assert (await listed("orderDate.lt=2000-01-01T00:00:00Z"))[1] == "0"
    assert await listed("productOrderItem.product.productSpecification.id=fibre-100&state=inProgress") == (
        [ids[1]],
        "1",
    )
    only = await rest.call("alice", "GET", f"{path}?fields=state&externalId=crm-0")
    assert set(only.body[0]) == {"id", "href", "@type", "@baseType", "state"}
    one = await rest.call("alice", "GET", f"{path}/{ids[0]}?fields=externalId,productOrderItem")
    assert set(one.body) == {"id", "href", "@type", "@baseType", "externalId", "productOrderItem"}


@pytest.mark.parametrize(
    "query",
    ["colour=red", "productOrderItem.colour=red", "fields=colour", "sort=colour", "limit=-1", "offset=x"],
)
async def test_unknown_filter_fields_and_bad_paging_are_400(rest: RestGateway, query):
    reply = await rest.call("alice", "GET", f"{PRODUCT.collection_path}?{query}")
    assert reply.status == 400
    assert reply.body["@type"] == "Error"
    assert reply.body["status"] == "400"


async def test_patch_attributes_with_merge_patch_and_if_match(rest: RestGateway):
    tk = SERVICE
    order = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk, description="x"))).body
    url = f"{tk.collection_path}/{order['id']}"
    merge = {"Content-Type": "application/merge-patch+json", "If-Match": '"1"'}
    changed = await rest.call(
        "alice", "PATCH", url, data='{"description": null, "priority": "4"}', headers=merge
    )
    assert changed.status == 200, changed.body
    assert changed.headers["ETag"] == '"2"'
    assert "description" not in changed.body
    assert changed.body["priority"] == "4"
    stale = await rest.call("alice", "PATCH", url, json={"externalId": "late"}, headers={"If-Match": '"1"'})
    assert stale.status == 412
    assert stale.body["code"] == "resyncRequired"
    after = await rest.call("alice", "GET", url)
    assert after.headers["ETag"] == '"2"'
    assert "externalId" not in after.body


async def test_patch_state_is_a_transition_request(rest: RestGateway):
    tk = RESOURCE
    order = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body
    url = f"{tk.collection_path}/{order['id']}"
    started = await rest.call("alice", "PATCH", url, json={"state": "inProgress"})
    assert started.status == 200
    assert started.body["state"] == "inProgress"
    again = await rest.call("alice", "PATCH", url, json={"state": "inProgress"})
    assert again.status == 200
    assert again.headers["ETag"] == started.headers["ETag"]
    illegal = await rest.call("alice", "PATCH", url, json={"state": "completed"})
    assert illegal.status == 409
    assert illegal.body["code"] == "illegalState"
    mixed = await rest.call("alice", "PATCH", url, json={"state": "held", "description": "x"})
    assert mixed.status == 400
    not_yours = await rest.call(
        "alice", "PATCH", url, json={tk.item_key: [{"id": "1", "state": "completed"}]}
    )
    assert not_yours.status == 403
    assert not_yours.body["code"] == "permissionDenied"
    for item_id in ("1", "2"):
        done = await rest.call(
            "noc", "PATCH", url, json={tk.item_key: [{"id": item_id, "state": "completed"}]}
        )
        assert done.status == 200, done.body
    assert done.body["state"] == "completed"
    assert "completionDate" in done.body
    conforms(tk, "ResourceOrder", done.body)


async def test_delete_and_history(rest: RestGateway):
    tk = WORK
    order = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body
    url = f"{tk.collection_path}/{order['id']}"
    await rest.call("alice", "PATCH", url, json={"state": "inProgress"})
    refused = await rest.call("alice", "DELETE", url)
    assert refused.status == 409
    history = await rest.call("alice", "GET", url + "/history")
    assert [(h.get("fromState"), h["toState"], h.get("itemId")) for h in history.body] == [
        (None, "acknowledged", None),
        ("acknowledged", "inProgress", "1"),
        ("acknowledged", "inProgress", "2"),
        ("acknowledged", "inProgress", None),
    ]
    fresh = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body
    gone = await rest.call("alice", "DELETE", f"{tk.collection_path}/{fresh['id']}")
    assert gone.status == 204
    assert (await rest.call("alice", "GET", f"{tk.collection_path}/{fresh['id']}")).status == 404


async def test_kinds_do_not_mix(rest: RestGateway):
    order = (await rest.call("alice", "POST", SERVICE.collection_path, json=order_body(SERVICE))).body
    assert (await rest.call("alice", "GET", f"{PRODUCT.collection_path}/{order['id']}")).status == 404


async def test_client_supplied_id_and_duplicates(rest: RestGateway):
    tk = PRODUCT
    key = f"po-{rest.client_ids['alice']}"
    first = await rest.call("alice", "POST", tk.collection_path, json=order_body(tk, id=key))
    assert first.status == 201
    assert first.body["id"] == f"{rest.client_ids['alice']}~{key}"  # the key in alice's namespace
    again = await rest.call("alice", "POST", tk.collection_path, json=order_body(tk, "9", id=key))
    assert again.status == 409
    assert again.body["code"] == "duplicateKey"
    kept = await rest.call("alice", "GET", f"{tk.collection_path}/{key}")
    assert [i["id"] for i in kept.body[tk.item_key]] == ["1", "2"]


async def test_behind_a_proxy_every_href_names_the_public_url(tmp_path):
    """ORDERGATE_PUBLIC_URL: the hrefs and Location a TLS proxy's clients can follow, not the
    plain-HTTP origin the proxy reached."""
    from adapters.sql import migrate
    from tests.integration.rest.gateway import running_gateway

    url = f"sqlite+aiosqlite:///{tmp_path / 'ordergate.db'}"
    migrate(url)
    async with running_gateway(url, tmp_path, public_url="https://orders.example.com/") as gateway:
        created = await gateway.call("alice", "POST", SERVICE.collection_path, json=order_body(SERVICE))
        assert created.status == 201, created.body
        href = f"https://orders.example.com{SERVICE.collection_path}/{created.body['id']}"
        assert created.headers["Location"] == created.body["href"] == href
        listed = await gateway.call("alice", "GET", SERVICE.collection_path)
        assert [o["href"] for o in listed.body] == [href]
