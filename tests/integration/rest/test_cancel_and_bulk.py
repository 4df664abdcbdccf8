"""Cancel task resources and the bulk extension over real HTTP."""

from __future__ import annotations

from tests.integration.rest.gateway import RestGateway
from tests.integration.rest.tmf import PRODUCT, RESOURCE, SERVICE, WORK, conforms, order_body


async def _started(rest: RestGateway, tk, **extra) -> str:
    order = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk, **extra))).body
    reply = await rest.call(
        "alice", "PATCH", f"{tk.collection_path}/{order['id']}", json={"state": "inProgress"}
    )
    assert reply.status == 200
    return str(order["id"])


def _cancel_path(tk) -> str:
    return f"{tk.base_path}/{tk.cancel_resource}"


async def test_cancel_before_start_is_done_at_once(rest: RestGateway):
    tk = PRODUCT
    order = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body
    body = {
        "productOrder": {"id": order["id"]},
        "cancellationReason": "duplicate",
        "@type": "CancelProductOrder",
    }
    task = await rest.call("alice", "POST", _cancel_path(tk), json=body)
    assert task.status == 201, task.body
    assert task.headers["Location"] == task.body["href"]
    assert task.body["state"] == "done"
    assert task.body["cancellationReason"] == "duplicate"
    assert "effectiveCancellationDate" in task.body
    conforms(tk, "CancelProductOrder", task.body)
    again = await rest.call("alice", "GET", f"{_cancel_path(tk)}/{task.body['id']}")
    assert again.body == task.body
    read = await rest.call("alice", "GET", f"{tk.collection_path}/{order['id']}")
    assert read.body["state"] == "cancelled"
    assert read.body["cancellationReason"] == "duplicate"


async def test_cancel_in_progress_goes_through_assessment_and_roll_back(rest: RestGateway):
    tk = SERVICE
    order_id = await _started(rest, tk)
    task = await rest.call("alice", "POST", _cancel_path(tk), json={"serviceOrder": {"id": order_id}})
    assert task.body["state"] == "accepted"  # TMF641's word; the order is assessingCancellation
    url, task_url = f"{tk.collection_path}/{order_id}", f"{_cancel_path(tk)}/{task.body['id']}"
    assert (await rest.call("alice", "GET", url)).body["state"] == "assessingCancellation"
    await rest.call("noc", "PATCH", url, json={"state": "pendingCancellation"})
    assert (await rest.call("alice", "GET", task_url)).body["state"] == "inProgress"
    for item_id in ("1", "2"):
        moved = await rest.call(
            "noc", "PATCH", url, json={tk.item_key: [{"id": item_id, "state": "cancelled"}]}
        )
        assert moved.status == 200, moved.body
    done = (await rest.call("alice", "GET", task_url)).body
    assert done["state"] == "done"
    conforms(tk, "CancelServiceOrder", done)


async def test_cancel_denied_past_the_point_of_no_return_terminates_with_error(rest: RestGateway):
    tk = RESOURCE
    order_id = await _started(rest, tk)
    url = f"{tk.collection_path}/{order_id}"
    items = (await rest.call("noc", "GET", url)).body[tk.item_key]
    items[0]["pointOfNoReturn"] = True
    assert (await rest.call("noc", "PATCH", url, json={tk.item_key: items})).status == 200
    task = await rest.call("alice", "POST", _cancel_path(tk), json={"resourceOrder": {"id": order_id}})
    assert task.status == 201
    assert task.body["state"] == "terminatedWithError"
    assert "point of no return" in task.body["stateReason"]
    assert (await rest.call("alice", "GET", url)).body["state"] == "inProgress"


async def test_a_refused_cancel_is_409_and_leaves_no_task(rest: RestGateway):
    tk = WORK
    order_id = await _started(rest, tk)
    url = f"{tk.collection_path}/{order_id}"
    for item_id in ("1", "2"):
        await rest.call("noc", "PATCH", url, json={tk.item_key: [{"id": item_id, "state": "completed"}]})
    refused = await rest.call("alice", "POST", _cancel_path(tk), json={"workOrder": {"id": order_id}})
    assert refused.status == 409
    assert refused.body["code"] == "illegalState"
    listed = await rest.call("alice", "GET", f"{_cancel_path(tk)}?workOrder.id={order_id}")
    assert listed.body == []


async def test_cancel_tasks_are_listed_and_filtered(rest: RestGateway):
    tk = PRODUCT
    first = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body["id"]
    second = await _started(rest, tk)
    for order_id in (first, second):
        assert (
            await rest.call("alice", "POST", _cancel_path(tk), json={"productOrder": {"id": order_id}})
        ).status == 201
    listed = await rest.call("alice", "GET", _cancel_path(tk))
    assert listed.headers["X-Total-Count"] == "2"
    assert {t["productOrder"]["id"]: t["state"] for t in listed.body} == {
        first: "done",
        second: "acknowledged",
    }
    done = await rest.call("alice", "GET", f"{_cancel_path(tk)}?state=done&fields=state")
    assert [set(t) for t in done.body] == [{"id", "href", "@type", "@baseType", "state"}]
    assert (await rest.call("bob", "GET", _cancel_path(tk))).body == []
    unknown = await rest.call("alice", "GET", f"{_cancel_path(tk)}/{first}~99")
    assert unknown.status == 404


async def test_bulk_create_atomic_and_best_effort(rest: RestGateway):
    tk = SERVICE
    bulk = tk.collection_path + "/bulk"
    bad = await rest.call("alice", "POST", bulk, json=[order_body(tk), {tk.item_key: []}])
    assert bad.status == 400
    assert "order [1]" in bad.body["message"]
    assert (await rest.call("alice", "GET", tk.collection_path)).headers["X-Total-Count"] == "0"
    created = await rest.call("alice", "POST", bulk + "?mode=atomic", json=[order_body(tk), order_body(tk)])
    assert created.status == 201
    assert [o["state"] for o in created.body] == ["acknowledged", "acknowledged"]
    mixed = await rest.call(
        "alice", "POST", bulk + "?mode=bestEffort", json=[order_body(tk), {tk.item_key: "no"}, {"colour": 1}]
    )
    assert mixed.status == 200
    assert [(r["index"], r["status"]) for r in mixed.body] == [(0, 201), (1, 400), (2, 400)]
    assert mixed.body[0]["serviceOrder"]["state"] == "acknowledged"
    assert mixed.body[1]["error"]["code"] == "illegalAttributeValue"
    assert (await rest.call("alice", "GET", tk.collection_path)).headers["X-Total-Count"] == "3"


async def test_bulk_patch_delete_get_and_cancel(rest: RestGateway):
    tk = PRODUCT
    bulk = tk.collection_path + "/bulk"
    ids = [o["id"] for o in (await rest.call("alice", "POST", bulk, json=[order_body(tk)] * 3)).body]
    patched = await rest.call(
        "alice",
        "PATCH",
        bulk,
        json=[
            {"id": ids[0], "state": "inProgress"},
            {"id": "nope", "state": "inProgress"},
            {"id": ids[1], "description": "x"},
        ],
    )
    assert [(r["id"], r["status"]) for r in patched.body] == [(ids[0], 200), ("nope", 404), (ids[1], 200)]
    assert patched.body[0]["productOrder"]["state"] == "inProgress"
    got = await rest.call("alice", "GET", f"{bulk}?id={ids[1]}&id={ids[0]}")
    assert [o["id"] for o in got.body] == [ids[1], ids[0]]
    assert (await rest.call("alice", "GET", f"{bulk}?id={ids[1]}&id=nope")).status == 404
    cancelled = await rest.call(
        "alice",
        "POST",
        f"{tk.base_path}/cancelProductOrder/bulk",
        json=[{"productOrder": {"id": ids[0]}}, {}],
    )
    assert [r["status"] for r in cancelled.body] == [201, 400]
    assert cancelled.body[0]["cancelProductOrder"]["state"] == "acknowledged"
    removed = await rest.call("alice", "DELETE", f"{bulk}?id={ids[1]}&id={ids[0]}&id={ids[2]}")
    assert [r["status"] for r in removed.body] == [204, 409, 204]
    assert (await rest.call("alice", "GET", tk.collection_path)).headers["X-Total-Count"] == "1"


async def test_an_order_named_bulk_stays_reachable(rest: RestGateway):
    tk = WORK
    created = await rest.call("alice", "POST", tk.collection_path, json=order_body(tk, id="bulk"))
    assert created.status == 201, created.body
    assert created.body["id"] == f"{rest.client_ids['alice']}~bulk"  # the key in alice's namespace
    url = tk.collection_path + "/bulk"  # named by the key alone
    assert (await rest.call("alice", "GET", url)).body["id"] == created.body["id"]
    assert (await rest.call("alice", "PATCH", url, json={"description": "x"})).body["description"] == "x"
    assert (await rest.call("alice", "DELETE", url)).status == 204


async def test_a_bulk_result_without_an_order_has_no_id_rather_than_null(rest: RestGateway):
    """Ordergate_BulkResult documents ``id`` as a string: an element that named no order (a create, a
    patch without one, a refused cancel) leaves it out."""
    tk = PRODUCT
    bulk = tk.collection_path + "/bulk"
    created = await rest.call(
        "alice", "POST", bulk + "?mode=bestEffort", json=[order_body(tk), {"colour": 1}]
    )
    patched = await rest.call("alice", "PATCH", bulk, json=[{"description": "no id"}])
    cancelled = await rest.call("alice", "POST", f"{tk.base_path}/cancelProductOrder/bulk", json=[{}])
    for reply in (created, patched, cancelled):
        assert reply.status == 200, reply.body
        assert all(isinstance(r.get("id", ""), str) for r in reply.body), reply.body
    assert created.body[0]["id"] == created.body[0]["productOrder"]["id"]
    assert set(created.body[1]) == {"index", "status", "error"}
    assert "id" not in patched.body[0]
    assert "id" not in cancelled.body[0]


async def test_cancel_tasks_listed_across_many_orders_page_by_page_and_gone_with_their_order(
    rest: RestGateway,
):
    tk = SERVICE
    orders = [await _started(rest, tk) for _ in range(5)]
    for order_id in orders:
        cancel = {"serviceOrder": {"id": order_id}, "cancellationReason": f"why {order_id}"}
        assert (await rest.call("alice", "POST", _cancel_path(tk), json=cancel)).status == 201
    denied = await rest.call(
        "noc", "PATCH", f"{tk.collection_path}/{orders[0]}", json={"state": "inProgress"}
    )  # a fulfiller turning the order back denies its cancellation
    assert denied.status == 200, denied.body
    first = await rest.call("alice", "GET", f"{_cancel_path(tk)}?limit=2")
    second = await rest.call("alice", "GET", f"{_cancel_path(tk)}?limit=2&offset=2")
    assert first.headers["X-Total-Count"] == second.headers["X-Total-Count"] == "5"
    listed = [t["serviceOrder"]["id"] for t in first.body + second.body]
    assert listed == orders[:4]  # oldest request first
    assert first.body[0]["state"] == "terminatedWithError"
    assert second.body[0]["cancellationReason"] == f"why {orders[2]}"
    accepted = await rest.call("noc", "GET", f"{_cancel_path(tk)}?state=accepted")  # a fulfiller sees all
    assert sorted(t["serviceOrder"]["id"] for t in accepted.body) == sorted(orders[1:])
    assert (await rest.call("bob", "GET", _cancel_path(tk))).headers["X-Total-Count"] == "0"
    unknown = await rest.call("alice", "GET", f"{_cancel_path(tk)}?state=finished,acknowledged")
    assert (unknown.status, unknown.body["code"]) == (400, "illegalArgument")
    # TMF641 says accepted where TMF622 says acknowledged: the refusal names the kind's words
    assert unknown.body["message"] == (
        "unknown cancel task state(s) acknowledged, finished:"
        " a cancelServiceOrder is accepted, inProgress, done, terminatedWithError"
    )
    named = ",".join(f"o{i}" for i in range(101))
    too_many = await rest.call("alice", "GET", f"{_cancel_path(tk)}?serviceOrder.id={named}")
    assert (too_many.status, too_many.body["code"]) == (400, "illegalArgument")
    closed = (await rest.call("alice", "POST", tk.collection_path, json=order_body(tk))).body["id"]
    done = await rest.call("alice", "POST", _cancel_path(tk), json={"serviceOrder": {"id": closed}})
    assert done.body["state"] == "done"
    assert (await rest.call("alice", "GET", _cancel_path(tk))).headers["X-Total-Count"] == "6"
    assert (await rest.call("alice", "DELETE", f"{tk.collection_path}/{closed}")).status == 204
    left = await rest.call("alice", "GET", f"{_cancel_path(tk)}?serviceOrder.id={closed},{orders[1]}")
    assert [t["serviceOrder"]["id"] for t in left.body] == [orders[1]]
