"""Bad requests get the right 4xx with the TMF error body, and change nothing."""

from __future__ import annotations

import pytest

from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings
from tests.integration.rest.gateway import Reply, RestGateway
from tests.integration.rest.tmf import PRODUCT, SERVICE, order_body

BASE = SERVICE.collection_path


def refused(reply: Reply, status: int, code: str | None = None) -> None:
    assert reply.status == status, reply.body
    assert set(reply.body) == {"code", "reason", "message", "status", "@type"}
    assert reply.body["@type"] == "Error"
    assert reply.body["status"] == str(status)
    if code is not None:
        assert reply.body["code"] == code


async def _count(rest: RestGateway, actor: str = "alice") -> str:
    return (await rest.call(actor, "GET", BASE)).headers["X-Total-Count"]


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        ("{not json", "application/json", 400, "malformedRequest"),
        ("", "application/json", 400, "malformedRequest"),
        ('{"serviceOrderItem": []', "application/json", 400, "malformedRequest"),
        ("[1, 2]", "application/json", 400, "illegalArgument"),
        ('{"a": 1}', "text/plain", 415, "unsupportedMediaType"),
        ('{"a": 1}', "application/xml", 415, "unsupportedMediaType"),
        (b'{"description": "\xff"}', "application/json", 400, "malformedRequest"),
        (
            '{"serviceOrderItem": [], "billingAccount": {"id": "1"}}',
            "application/json",
            400,
            "illegalArgument",
        ),
    ],
)
async def test_bad_create_bodies_are_refused_and_store_nothing(
    rest: RestGateway, data, content_type, status, code
):
    reply = await rest.call("alice", "POST", BASE, data=data, headers={"Content-Type": content_type})
    refused(reply, status, code)
    assert await _count(rest) == "0"


async def test_an_oversize_body_is_413_and_stores_nothing(small_rest: RestGateway):
    body = order_body(SERVICE, description="x" * 8000)
    refused(await small_rest.call("alice", "POST", BASE, json=body), 413, "payloadTooLarge")
    assert await _count(small_rest) == "0"
    assert (await small_rest.call("alice", "POST", BASE, json=order_body(SERVICE))).status == 201


async def test_patch_refuses_json_patch_and_malformed_bodies_and_changes_nothing(rest: RestGateway):
    order = (await rest.call("alice", "POST", BASE, json=order_body(SERVICE))).body
    url = f"{BASE}/{order['id']}"
    json_patch = '[{"op": "replace", "path": "/description", "value": "x"}]'
    refused(
        await rest.call(
            "alice", "PATCH", url, data=json_patch, headers={"Content-Type": "application/json-patch+json"}
        ),
        415,
    )
    refused(
        await rest.call("alice", "PATCH", url, data="{", headers={"Content-Type": "application/json"}), 400
    )
    refused(await rest.call("alice", "PATCH", url, json=[1]), 400, "illegalArgument")
    refused(await rest.call("alice", "PATCH", url, json={"state": "finished"}), 400, "illegalAttributeValue")
    refused(await rest.call("alice", "PATCH", url, json={"orderDate": "2030-01-01T00:00:00Z"}), 400)
    refused(await rest.call("alice", "PATCH", url, json={"description": 42}), 400, "illegalAttributeValue")
    refused(await rest.call("alice", "PATCH", url, json={"state": "held"}, headers={"If-Match": '"x"'}), 412)
    after = await rest.call("alice", "GET", url)
    assert after.headers["ETag"] == '"1"'
    assert after.body == order


async def test_another_clients_order_is_not_found_and_untouched(rest: RestGateway):
    order = (await rest.call("alice", "POST", BASE, json=order_body(SERVICE))).body
    url = f"{BASE}/{order['id']}"
    refused(await rest.call("bob", "GET", url), 404, "objectNotFound")
    refused(await rest.call("bob", "PATCH", url, json={"description": "mine"}), 404, "objectNotFound")
    refused(await rest.call("bob", "PATCH", url, json={"state": "inProgress"}), 404, "objectNotFound")
    refused(await rest.call("bob", "DELETE", url), 404, "objectNotFound")
    refused(await rest.call("bob", "GET", url + "/history"), 404, "objectNotFound")
    cancel = {"serviceOrder": {"id": order["id"]}}
    refused(await rest.call("bob", "POST", SERVICE.base_path + "/cancelServiceOrder", json=cancel), 404)
    assert (await rest.call("bob", "GET", f"{BASE}?id={order['id']}")).body == []
    after = await rest.call("alice", "GET", url)
    assert after.body == order
    assert after.headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": "Basic YWxpY2U6eA=="},
        {"Authorization": "Bearer "},
    ],
)
async def test_without_a_known_key_every_call_is_401(rest: RestGateway, headers):
    async with rest.session.get(rest.url + BASE, headers=headers) as reply:
        assert reply.status == 401
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")
        body = await reply.json()
    assert body["code"] == "unauthenticated"
    assert body["@type"] == "Error"


async def test_unknown_paths_and_methods_get_the_tmf_error_body(rest: RestGateway):
    refused(await rest.call("alice", "GET", "/tmf-api/serviceOrdering/v4/nothing"), 404, "notFound")
    refused(await rest.call("alice", "PUT", f"{BASE}/x", json={}), 405, "methodNotAllowed")
    refused(await rest.call("alice", "GET", f"{BASE}/x?colour=red"), 400)


async def test_roles_are_enforced_by_the_core(rest: RestGateway):
    refused(
        await rest.call("noc", "POST", PRODUCT.collection_path, json=order_body(PRODUCT)),
        403,
        "permissionDenied",
    )


async def test_without_credentials_loopback_callers_are_the_local_admin(aiohttp_client, sqlite_url):
    client = await aiohttp_client(build_app(GatewaySettings(database_url=sqlite_url)))
    created = await client.post(BASE, json=order_body(SERVICE))
    assert created.status == 201
    # the local admin may act as the fulfiller too
    order = await created.json()
    url = f"{BASE}/{order['id']}"
    assert (await client.patch(url, json={"state": "inProgress"})).status == 200
    done = await client.patch(url, json={"serviceOrderItem": [{"id": "1", "state": "completed"}]})
    assert done.status == 200


async def test_an_if_match_no_version_can_have_is_412_and_changes_nothing(rest: RestGateway):
    order = (await rest.call("alice", "POST", BASE, json=order_body(SERVICE))).body
    url = f"{BASE}/{order['id']}"
    for tag in ('"' + "9" * 5000 + '"', '"' + "9" * 19 + '"', '"²"', "W/"):
        reply = await rest.call("alice", "PATCH", url, json={"description": "x"}, headers={"If-Match": tag})
        refused(reply, 412)
        assert len(reply.body["message"]) < 300  # the header is named, not echoed whole
    assert (await rest.call("alice", "GET", url)).body == order


async def test_an_unbounded_id_in_the_path_is_not_echoed_whole(rest: RestGateway):
    reply = await rest.call("alice", "GET", f"{BASE}/{'x' * 5000}")
    refused(reply, 404, "objectNotFound")
    assert "(5000 characters)" in reply.body["message"]
    assert len(reply.body["message"]) < 300


async def test_an_item_without_id_or_action_is_refused_though_its_file_allows_it(rest: RestGateway):
    """TMF652 requires nothing of a resource order item; the gateway needs its id and action
    (found by the fuzzer: an empty item was a 500)."""
    from tests.integration.rest.tmf import RESOURCE

    before = (await rest.call("alice", "GET", RESOURCE.collection_path)).headers["X-Total-Count"]
    reply = await rest.call("alice", "POST", RESOURCE.collection_path, json={"orderItem": [{}]})
    refused(reply, 400, "illegalArgument")
    assert "orderItem[0].id" in reply.body["message"]
    assert "orderItem[0].action" in reply.body["message"]
    assert (await rest.call("alice", "GET", RESOURCE.collection_path)).headers["X-Total-Count"] == before
