"""Every operation of the WSDL, through zeep built from the served WSDL, on a real store."""

from __future__ import annotations

from zeep.helpers import serialize_object

from tests.integration.soap.values import item, key, order_values, service_value
from tests.soap_gateway import SoapGateway

NOT_STARTED = "open.not_running.not_started"
RUNNING = "open.running"


async def create(soap: SoapGateway, actor: str = "alice", **fields: object) -> str:
    created = await soap.call(actor, "createOrderByValue", serviceOrderValue=service_value(**fields))
    return str(created.serviceOrderValue.key.primaryKey)


async def test_metadata_operations(soap):
    types = await soap.call("alice", "getOrderTypes")
    assert {t.kind for t in types} == {"productOrder", "serviceOrder", "resourceOrder", "workOrder"}
    assert "tryStartOrdersByKeys" in await soap.call("alice", "getSupportedOptionalOperations")
    assert set(await soap.call("alice", "getQueryTypes")) == {"QueryOrdersByTemplate", "QueryOrdersByFilter"}
    assert "orderStateChangeEvent" in await soap.call("alice", "getEventTypes")
    template = await soap.call("alice", "makeOrderValue", kind="workOrder")
    assert template.workOrderValue.orderType == "WorkOrder"


async def test_feasibility_reports_per_item_and_stores_nothing(soap):
    report = await soap.call(
        "alice", "checkOrderFeasibility", serviceOrderValue=service_value(orderType="NoSuchType")
    )
    assert report.feasible is False
    assert report.reason
    assert [i.itemId for i in report.item] == ["1", "2"]
    assert (await soap.call("alice", "queryOrders", query={}))["totalCount"] == 0


async def test_create_answers_the_order_in_ossj_terms(soap):
    value = service_value(externalId="ext-1", priority=5, requestedStartDate="2031-01-01T10:00:00Z")
    value["items"]["item"][0]["entity"]["characteristic"] = [{"name": "speed", "value": {"string": "1G"}}]
    created = (await soap.call("alice", "createOrderByValue", serviceOrderValue=value)).serviceOrderValue
    assert created.state == NOT_STARTED
    assert created.priority == 5
    assert created.clientId == "alice"
    assert created.version == 1
    assert created.items.item[0].entity.characteristic[0].value.string._value_1 == "1G"
    events = await soap.settled_events()
    assert [e.type.value for e in events] == ["OrderCreate"]


async def test_atomic_and_best_effort_creates(soap):
    chosen = {**service_value(), "key": key("k-1")}
    values = {"_value_1": [{"serviceOrderValue": chosen}, {"serviceOrderValue": service_value()}]}
    created = await soap.call("alice", "createOrdersByValues", values=values)
    assert len(order_values(created)) == 2
    assert order_values(created)[0].key.primaryKey == "alice~k-1"  # the key in alice's namespace
    duplicate = "k-1"
    mixed = {
        "_value_1": [
            {"serviceOrderValue": service_value()},
            {"serviceOrderValue": {**service_value(), "key": key(duplicate)}},
        ]
    }
    results = await soap.call("alice", "tryCreateOrdersByValues", values=mixed)
    assert [(r.index, r.success) for r in results] == [(0, True), (1, False)]
    assert results[1].exception.duplicateKeyException.code == "duplicateKey"
    assert (await soap.call("alice", "queryOrders", query={}))["totalCount"] == 3


async def test_reads_by_key_with_attribute_selection(soap):
    first, second = await create(soap), await create(soap)
    one = await soap.call("alice", "getOrderByKey", key=key(first), attributeNames={"name": ["state"]})
    assert one.serviceOrderValue.state == NOT_STARTED
    assert one.serviceOrderValue.items is None
    many = await soap.call("alice", "getOrdersByKeys", keys={"key": [key(first), key(second)]})
    assert [v.key.primaryKey for v in order_values(many)] == [first, second]


async def test_query_pages_by_filter_and_template(soap):
    for n in range(5):
        await create(soap, externalId=f"q-{n}")
    query = {"kind": "serviceOrder", "filter": [{"attribute": "state", "value": [NOT_STARTED]}]}
    page = await soap.call("alice", "queryOrders", query=query, offset=2, howMany=2)
    assert (page["sequence"], page["endOfReply"], page["totalCount"]) == (1, False, 5)
    assert len(order_values(page["values"])) == 2
    last = await soap.call("alice", "queryOrders", query=query, offset=4, howMany=2)
    assert last["endOfReply"] is True
    by_template = await soap.call("alice", "queryOrders", query={"template": {"externalId": "q-3"}})
    assert by_template["totalCount"] == 1
    assert (await soap.call("bob", "queryOrders", query=query))["totalCount"] == 0


async def test_set_by_value_with_version_and_best_effort(soap):
    order_id = await create(soap)
    changed = await soap.call(
        "alice",
        "setOrderByValue",
        serviceOrderValue={"key": key(order_id), "version": 1, "description": "new text", "priority": 2},
    )
    assert (changed.serviceOrderValue.description, changed.serviceOrderValue.version) == ("new text", 2)
    values = {
        "_value_1": [
            {"serviceOrderValue": {"key": key(order_id), "externalId": "x-2"}},
            {"serviceOrderValue": {"key": key("unknown"), "externalId": "x-3"}},
        ]
    }
    results = await soap.call("alice", "trySetOrdersByValues", values=values)
    assert [r.success for r in results] == [True, False]
    assert results[1].exception.objectNotFoundException is not None
    events = [e.type.value for e in await soap.settled_events()]
    assert events.count("OrderAttributeValueChange") == 2


async def test_lifecycle_client_and_fulfiller_operations(soap):
    order_id = await create(soap)
    started = await soap.call("alice", "startOrderByKey", key=key(order_id), version=1)
    assert started.serviceOrderValue.state == RUNNING
    held = await soap.call("alice", "suspendOrderByKey", key=key(order_id), reason="customer away")
    assert held.serviceOrderValue.state == "open.not_running.suspended"
    resumed = await soap.call("alice", "resumeOrderByKey", key=key(order_id))
    assert resumed.serviceOrderValue.state == RUNNING
    pending = await soap.call("noc", "changeOrderState", key=key(order_id), state="open.running.pending")
    assert pending.serviceOrderValue.state == "open.running.pending"
    await soap.call("noc", "changeOrderState", key=key(order_id), state=RUNNING)
    for item_id in ("1", "2"):
        done = await soap.call(
            "noc", "changeOrderItemState", key=key(order_id), itemId=item_id, state="closed.completed"
        )
    assert done.serviceOrderValue.state == "closed.completed"
    history = await soap.call("alice", "getOrderHistoryByKey", key=key(order_id))
    assert history[0].toState == NOT_STARTED
    assert history[-1].toState == "closed.completed"
    assert {h.actor for h in history} == {"alice", "noc"}
    events = [e for e in await soap.settled_events() if e.order_id == order_id]
    assert "OrderInformationRequired" in [e.type.value for e in events]


async def test_abort_and_remove_single_and_best_effort(soap):
    started, fresh, other = await create(soap), await create(soap), await create(soap)
    await soap.call("alice", "startOrderByKey", key=key(started))
    assessing = await soap.call("alice", "abortOrderByKey", key=key(started), reason="no longer needed")
    assert assessing.serviceOrderValue.state.startswith("open.running.")
    assert await soap.call("alice", "removeOrderByKey", key=key(fresh)) is None
    results = await soap.call(
        "alice", "tryAbortOrdersByKeys", keys={"key": [key(other), key(fresh)]}, reason="tidy up"
    )
    assert [r.success for r in results] == [True, False]
    assert results[0].serviceOrderValue.state == "closed.aborted.aborted_byclient"
    removed = await soap.call("alice", "tryRemoveOrdersByKeys", keys={"key": [key(other), key(fresh)]})
    assert [r.success for r in removed] == [True, False]
    assert (await soap.call("alice", "queryOrders", query={}))["totalCount"] == 1


async def test_best_effort_start_keeps_input_order(soap):
    order_id = await create(soap)
    results = await soap.call("alice", "tryStartOrdersByKeys", keys={"key": [key("nope"), key(order_id)]})
    assert [(r.index, r.success) for r in results] == [(0, False), (1, True)]
    assert serialize_object(results[0].key) == {"type": "serviceOrder", "primaryKey": "nope"}


async def test_a_large_order_travels_through_the_decoding_pool(soap):
    items = [item(str(i), relationship=[]) for i in range(400)]
    created = await soap.call("alice", "createOrderByValue", serviceOrderValue={"items": {"item": items}})
    assert len(created.serviceOrderValue.items.item) == 400
