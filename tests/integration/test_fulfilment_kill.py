"""A gateway working a stream of decomposing orders, killed (SIGKILL) mid-stream: afterwards every
parent and its parts agree, and every order that ran has each of its due parts exactly once; two
gateways completing the parts of one order at once, one of them killed: no roll-up is lost."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.rest.vocabulary import KINDS
from adapters.sql import SqlaOrderStore
from core.domain.model import Kind, Order
from core.domain.query import OrderQuery
from core.domain.states import State
from core.usecases import OrderManagement
from tests.amqp_gateway import wait_ready
from tests.builders import ADMIN
from tests.integration.amqp.test_process_kill import forget_leases, free_port, gateway_env, serve, stop

pytestmark = [pytest.mark.postgres]
CATALOG = Path(__file__).resolve().parents[2] / "deploy" / "catalog.example.yaml"
PRODUCTS = "/tmf-api/productOrderingManagement/v4/productOrder"


def broadband(i: int) -> dict[str, object]:
    characteristics = [{"name": "downloadSpeed", "value": "1G"}, {"name": "phoneNumber", "value": f"+33 {i}"}]
    return {
        "externalId": f"kill-{i}",
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": "fibre-broadband"},
                "product": {"productCharacteristic": characteristics},
            }
        ],
    }


async def _work(url: str, i: int, session: aiohttp.ClientSession) -> None:
    """Create and start one product order, then complete the parts of its internet service."""
    async with session.post(url + PRODUCTS, json=broadband(i)) as created:
        order_id = (await created.json())["id"]
    async with session.patch(url + f"{PRODUCTS}/{order_id}", json={"state": "inProgress"}) as started:
        assert started.status == 200


async def _stream(url: str, count: int) -> None:
    async with aiohttp.ClientSession() as session:
        for i in range(count):
            try:
                await _work(url, i, session)
            except (aiohttp.ClientError, AssertionError, KeyError):
                return  # the gateway died under us


def _agree(orders: dict[str, Order]) -> None:
    """Every link is there both ways; no part has two orders; every due part has one."""
    parts: Counter[tuple[str, str, str]] = Counter()
    for order in orders.values():
        if order.parent is not None:
            parent = orders[order.parent.order_id]
            item = parent.item(order.parent.item_id)
            refs = [c for c in item.children if c.order_id == order.id]
            assert len(refs) == 1, f"{order.id} is not named by the item it realizes"
            parts[(parent.id, item.id, refs[0].part)] += 1
        for item in order.all_items():
            for ref in item.children:
                if ref.order_id is not None:
                    child = orders[ref.order_id]
                    assert child.parent is not None
                    assert (child.parent.order_id, child.parent.item_id) == (order.id, item.id)
    assert all(n == 1 for n in parts.values()), "a part has two orders"
    for order in orders.values():
        if order.kind.value == "productOrder" and order.state is State.IN_PROGRESS:
            (item,) = order.items
            assert [c.part for c in item.children] == ["internet", "voice"]
            assert item.children[0].order_id is not None, "a running product order without its first part"


@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
async def test_a_gateway_killed_while_decomposing_leaves_every_parent_and_part_in_agreement(sql_store, tmp_path):
    store: SqlaOrderStore = sql_store
    port = free_port()
    env = gateway_env(store.url, "", port, ORDERGATE_CATALOG=str(CATALOG))
    env.pop("ORDERGATE_AMQP_URL")
    url, log = f"http://127.0.0.1:{port}", tmp_path / "gateway.log"
    processes = [serve(env, log)]
    try:
        await wait_ready(url, seconds=60)
        streams = [asyncio.create_task(_stream(url, 200)) for _ in range(4)]
        await asyncio.sleep(3.0)
        processes[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(processes[0].wait)
        await asyncio.gather(*streams)
        processes.append(serve(env, log))
        await wait_ready(url, seconds=60)
        page = await OrderManagement(store).query_orders(ADMIN, OrderQuery())
        orders = {o.id: o for o in page.orders}
        running = [o for o in orders.values() if o.kind.value == "productOrder" and o.state is State.IN_PROGRESS]
        assert running, "the kill came after some orders ran"
        _agree(orders)
        async with aiohttp.ClientSession() as session:  # and the restarted gateway goes on from there
            await _work(url, 10_000, session)
        orders = {o.id: o for o in (await OrderManagement(store).query_orders(ADMIN, OrderQuery())).orders}
        _agree(orders)
    finally:
        for process in processes:
            await stop(process)
        await forget_leases(store)


async def _json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as reply:
        assert reply.status == 200, await reply.text()
        return dict(await reply.json())


async def _complete_internet(urls: list[str], i: int, session: aiohttp.ClientSession) -> None:
    """Create and start a product order through one process, then complete the leaves of its
    internet service all at once, half through each process: two processes roll up into one
    service order, and its completion into the product order, at the same moment."""
    home = urls[i % len(urls)]
    async with session.post(home + PRODUCTS, json=broadband(i)) as created:
        product_id = (await created.json())["id"]
    async with session.patch(home + f"{PRODUCTS}/{product_id}", json={"state": "inProgress"}) as started:
        assert started.status == 200
    product = await _json(session, home + f"{PRODUCTS}/{product_id}")
    internet_ref = next(r for r in product["productOrderItem"][0]["realizingOrder"] if r["part"] == "internet")
    service = KINDS[Kind.SERVICE]
    internet_url = f"{service.collection_path}/{internet_ref['id']}"

    async def complete(n: int, ref: dict[str, Any]) -> None:
        tk = next(k for k in KINDS.values() if k.type_name == ref["@referredType"])
        body = {tk.item_key: [{"id": ref["part"], "state": "completed"}]}
        async with session.patch(urls[n % len(urls)] + f"{tk.collection_path}/{ref['id']}", json=body) as done:
            assert done.status == 200, await done.text()

    finished: set[str] = set()
    for _round in range(6):  # a part that depends on others is created once they completed
        internet = await _json(session, home + internet_url)
        if internet["state"] == "completed":
            return
        due = [r for r in internet[service.item_key][0]["realizingOrder"] if "id" in r and r["id"] not in finished]
        await asyncio.gather(*(complete(n, ref) for n, ref in enumerate(due)))
        finished.update(r["id"] for r in due)


async def _completing(urls: list[str], first: int, count: int) -> None:
    async with aiohttp.ClientSession() as session:
        for i in range(first, first + count):
            try:
                await _complete_internet(urls, i, session)
            except (aiohttp.ClientError, AssertionError, KeyError, StopIteration):
                continue  # one process died under us: the other goes on


def _rolled_up(orders: dict[str, Order]) -> None:
    """No roll-up lost: a service order whose parts all completed is completed, and a product
    order whose internet service completed has its voice part."""
    for order in orders.values():
        refs = [c for i in order.items for c in i.children]
        parts = [orders[c.order_id] for c in refs if c.order_id is not None]
        done = bool(parts) and len(parts) == len(refs) and all(p.state is State.COMPLETED for p in parts)
        if order.kind is Kind.SERVICE and done:
            assert order.state is State.COMPLETED, f"{order.id}: its parts completed, it did not"
        if order.kind is Kind.PRODUCT:
            refs = {c.part: c.order_id for c in order.items[0].children}
            internet = orders.get(refs.get("internet") or "")
            if internet is not None and internet.state is State.COMPLETED:
                assert refs.get("voice"), f"{order.id}: internet completed, voice never due"


@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
async def test_two_gateways_rolling_up_at_once_one_killed_lose_no_roll_up(sql_store, tmp_path):
    store: SqlaOrderStore = sql_store
    ports = [free_port(), free_port()]
    envs = [gateway_env(store.url, "", port, ORDERGATE_CATALOG=str(CATALOG)) for port in ports]
    for env in envs:
        env.pop("ORDERGATE_AMQP_URL")
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    log = tmp_path / "gateways.log"
    processes = [serve(env, log) for env in envs]
    try:
        for url in urls:
            await wait_ready(url, seconds=60)
        streams = [asyncio.create_task(_completing(urls, 1000 * s, 40)) for s in range(4)]
        await asyncio.sleep(4.0)
        processes[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(processes[0].wait)
        await asyncio.gather(*streams)
        processes.append(serve(envs[0], log))
        await wait_ready(urls[0], seconds=60)
        orders = {o.id: o for o in (await OrderManagement(store).query_orders(ADMIN, OrderQuery())).orders}
        completed = [o for o in orders.values() if o.kind is Kind.SERVICE and o.state is State.COMPLETED]
        assert completed, "some internet services completed through both processes"
        _agree(orders)
        _rolled_up(orders)
    finally:
        for process in processes:
            await stop(process)
        await forget_leases(store)
