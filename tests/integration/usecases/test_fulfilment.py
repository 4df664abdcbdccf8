"""End to end: a product order decomposes into service, resource and work orders, rolls up, cascades.

Runs on every store with the example catalog (deploy/catalog.example.yaml).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.domain.catalog import CatalogError, load
from core.domain.model import Kind, Order
from core.domain.query import Criterion, Op, OrderQuery
from core.domain.states import State
from core.usecases import OrderManagement, Settings
from ordergate.catalog import load_catalog
from tests.builders import ADMIN, ALICE, NOC

CATALOG = Path(__file__).resolve().parents[3] / "deploy" / "catalog.example.yaml"


def broadband(**item: Any) -> dict[str, Any]:
    return {
        "items": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "fibre-broadband", "name": "Fibre broadband"},
                "entity": {
                    "characteristics": [
                        {"name": "downloadSpeed", "value": "1G"},
                        {"name": "ipv6", "value": True},
                        {"name": "phoneNumber", "value": "+33 1 23 45 67 89"},
                    ]
                },
                **item,
            }
        ]
    }


@pytest.fixture
def om(any_store: Any) -> OrderManagement:
    return OrderManagement(any_store, Settings(catalog=load_catalog(str(CATALOG))))


async def children(om: OrderManagement, parent: str) -> list[Order]:
    page = await om.query_orders(ADMIN, OrderQuery(criteria=(Criterion("parent.orderId", Op.EQ, (parent,)),)))
    return sorted(page.orders, key=lambda o: o.items[0].id)


def by_part(orders: list[Order]) -> dict[str, Order]:
    return {o.items[0].id: o for o in orders}


async def complete(om: OrderManagement, order: Order) -> Order:
    for item in order.items:
        order = await om.change_order_item_state(NOC, None, order.id, item.id, State.COMPLETED)
    return order


async def test_a_started_product_order_becomes_its_service_orders_and_they_theirs(om):
    product = await om.create_order(ALICE, Kind.PRODUCT, broadband())
    started = await om.start_order(ALICE, None, product.id)
    item = started.items[0]
    assert [(c.part, c.kind) for c in item.children] == [("internet", Kind.SERVICE), ("voice", Kind.SERVICE)]
    internet_id = item.children[0].order_id
    assert internet_id is not None
    assert item.children[1].order_id is None
    (internet,) = await children(om, product.id)
    assert internet.id == internet_id
    assert internet.client_id == "alice"
    assert (internet.kind, internet.state) == (Kind.SERVICE, State.IN_PROGRESS)
    assert internet.parent is not None
    assert (internet.parent.order_id, internet.parent.item_id) == (product.id, "1")
    assert [(r.type, r.order_id) for r in internet.relationships] == [("realizes", product.id)]
    carried = {c.name: c.value for c in internet.items[0].entity.characteristics}
    assert carried == {"bandwidth": "1G", "ipv6": True, "serviceClass": "residential"}
    below = by_part(await children(om, internet.id))
    assert set(below) == {"ont-installation", "olt-port"}  # ont waits for its visit, vlan for its port
    assert below["ont-installation"].kind is Kind.WORK
    assert {c.name: c.value for c in (await om.get_order(ADMIN, None, internet.id)).items[0].entity.characteristics}


async def test_parts_complete_in_any_order_and_the_product_order_completes(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    for part in ("olt-port", "ont-installation", "vlan", "ont"):
        await complete(om, by_part(await children(om, internet.id))[part])
    internet = await om.get_order(ADMIN, None, internet.id)
    assert internet.state is State.COMPLETED
    voice = by_part(await children(om, product.id))["voice"]  # due once internet completed
    assert voice.state is State.IN_PROGRESS
    (port,) = await children(om, voice.id)
    assert {c.name: c.value for c in port.items[0].entity.characteristics} == {"directoryNumber": "+33 1 23 45 67 89"}
    await complete(om, port)
    done = await om.get_order(ADMIN, None, product.id)
    assert (done.state, done.items[0].state) == (State.COMPLETED, State.COMPLETED)
    assert [h.operation for h in done.history if h.item_id == "1"][-1] == "partsCompleted"


async def test_a_failed_leaf_fails_its_service_and_product_items(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    port = by_part(await children(om, internet.id))["olt-port"]
    await om.change_order_item_state(NOC, None, port.id, "olt-port", State.FAILED, "no free port")
    internet = await om.get_order(ADMIN, None, internet.id)
    assert internet.items[0].state is State.FAILED
    assert f"resourceOrder {port.id} failed" in (internet.items[0].state_reason or "")
    product = await om.get_order(ADMIN, None, product.id)
    assert (product.state, product.items[0].state) == (State.FAILED, State.FAILED)


async def test_a_leaf_waiting_for_information_makes_its_parents_pending(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    visit = by_part(await children(om, internet.id))["ont-installation"]
    await om.change_order_item_state(NOC, None, visit.id, "ont-installation", State.PENDING, "no access")
    internet = await om.get_order(ADMIN, None, internet.id)
    assert internet.items[0].state is State.PENDING
    assert visit.id in (internet.items[0].state_reason or "")
    assert (await om.get_order(ADMIN, None, product.id)).items[0].state is State.PENDING
    await om.change_order_item_state(NOC, None, visit.id, "ont-installation", State.IN_PROGRESS)
    assert (await om.get_order(ADMIN, None, product.id)).items[0].state is State.IN_PROGRESS


async def test_cancelling_the_product_order_cascades_and_completes_when_every_part_is_cancelled(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    cancelled = await om.abort_order(ALICE, None, product.id, "moving house")
    assert cancelled.state is State.ASSESSING_CANCELLATION, cancelled.state_reason
    assert (await om.get_order(ADMIN, None, product.id)).state is State.ASSESSING_CANCELLATION
    leaves = await children(om, internet.id)
    assert {o.state for o in leaves} == {State.ASSESSING_CANCELLATION}
    for leaf in leaves:
        await om.change_order_state(NOC, None, leaf.id, State.PENDING_CANCELLATION)
        await om.change_order_item_state(NOC, None, leaf.id, leaf.items[0].id, State.CANCELLED)
    assert (await om.get_order(ADMIN, None, internet.id)).state is State.CANCELLED
    assert (await om.get_order(ADMIN, None, product.id)).state is State.CANCELLED


async def test_a_part_past_its_point_of_no_return_denies_the_product_cancellation(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    port = by_part(await children(om, internet.id))["olt-port"]
    items = [{"id": "olt-port", "action": "add", "pointOfNoReturn": True, "entity": {"specification": {"id": "olt-port", "name": "OLT port"}}}]
    await om.set_order(NOC, None, port.id, {"items": items})
    denied = await om.abort_order(ALICE, None, product.id)
    assert denied.state is State.IN_PROGRESS
    assert f"resourceOrder {port.id} item olt-port past the point of no return" in (denied.state_reason or "")
    assert (await om.get_order(ADMIN, None, internet.id)).state is State.IN_PROGRESS  # nothing below moved


async def test_suspend_and_resume_reach_the_open_parts(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    await om.suspend_order(ALICE, None, product.id, "holiday")
    assert (await om.get_order(ADMIN, None, internet.id)).state is State.HELD
    assert {o.state for o in await children(om, internet.id)} == {State.HELD}
    await om.resume_order(ALICE, None, product.id)
    assert {o.state for o in await children(om, internet.id)} == {State.IN_PROGRESS}


async def test_a_change_of_a_held_product_item_reaches_its_parts(om):
    product = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.PRODUCT, broadband())).id)
    (internet,) = await children(om, product.id)
    await om.suspend_order(ALICE, None, product.id)
    value = broadband()
    value["items"][0]["entity"]["characteristics"][0]["value"] = "2G"
    await om.set_order(ALICE, None, product.id, value)
    carried = {c.name: c.value for c in (await om.get_order(ADMIN, None, internet.id)).items[0].entity.characteristics}
    assert carried["bandwidth"] == "2G"
    vlan_waits = by_part(await children(om, internet.id))
    assert "vlan" not in vlan_waits  # not created yet: it takes the new value when it is


async def test_an_order_the_catalog_does_not_know_stands_alone(om):
    value = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "other"}}}]}
    order = await om.start_order(ALICE, None, (await om.create_order(ALICE, Kind.SERVICE, value)).id)
    assert order.items[0].children == ()
    assert await children(om, order.id) == []


def test_a_bad_catalog_is_refused_naming_the_entry():
    part = {"part": "a", "kind": "resourceOrder", "specification": {"id": "x"}}
    for document, words in (
        ({"version": 1, "products": [{"id": "p", "realizedBy": [part]}]}, "products[0] (p): part 'a' is a resourceOrder"),
        ({"version": 1, "services": [{"id": "s", "realizedBy": [{**part, "dependsOn": ["b"]}]}]}, "unknown part(s) b"),
        ({"version": 1, "services": [{"id": "s", "realizedBy": [{**part, "dependsOn": ["a"]}]}]}, "cycle"),
        ({"version": 2}, "version"),
    ):
        with pytest.raises(CatalogError) as refused:
            load(document)
        assert words in str(refused.value)
