"""One order through every profile of one gateway, its events observed on both channels.

Issue 6's mixed-profile scenario: alice creates an order over SOAP, changes it
over REST, cancels it over AMQP and removes it over SOAP; after each step the
order is read back over another profile.  One gateway serves every profile
(``all_profiles``).  Every event must arrive exactly once at a REST hub
listener and exactly once on a queue of our own bound to ``ordergate.events``,
with the same event id and the same content once both forms are read into one
canonical form.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.rest.filters import top_level_fields
from adapters.rest.vocabulary import KINDS
from core.domain.model import Kind
from core.domain.states import State
from tests.amqp_broker import Received, text
from tests.amqp_gateway import ROLES, broker_users, throwaway_vhost
from tests.conformance.all_profiles import Profiles, one_gateway
from tests.conformance.driver import Reply

pytestmark = pytest.mark.rabbitmq

KIND = "serviceOrder"
VALUE = {
    "description": "mixed profiles",
    "items": [{"id": "i1", "action": "add", "entity": {"specification": {"id": "fibre-100"}}}],
}
CATALOG = Path(__file__).resolve().parents[2] / "deploy" / "catalog.example.yaml"
EVENT_WAIT = 10.0  # seconds a step's events may take to arrive on a channel
QUIET = 1.0  # seconds to wait after the last event for stragglers and duplicates
_NS = {"om": "urn:ordergate:xml:om:v1"}


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="module")
def actor_urls(vhost: str) -> Iterator[dict[str, str]]:
    with broker_users(vhost, ROLES) as urls:
        yield urls


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    # client ids are unique per gateway, so the shared PostgreSQL database needs no emptying
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def profiles(
    database_url: str, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[Profiles]:
    async with one_gateway(database_url, vhost, actor_urls, tmp_path, str(CATALOG)) as p:
        yield p


# ------------------------------------------------------------------ one canonical form for events


def from_hub(envelope: dict[str, Any]) -> dict[str, Any]:
    """A TMF hub envelope in canonical form."""
    ((resource, order),) = envelope["event"].items()
    task = next((tk for tk in KINDS.values() if tk.cancel_resource == resource), None)
    if task is not None:  # a cancel task's event: the task's state, in the core's words
        state = "acknowledged" if order["state"] == task.task_received_state else order["state"]
        return {
            "eventId": envelope["eventId"],
            "type": task.event_names[envelope["eventType"]].value,
            "kind": task.resource,
            "orderId": order[task.resource]["id"],
            "taskId": order["id"],
            "taskState": state,
        }
    tk = KINDS[Kind(resource)]
    canonical_names = top_level_fields(tk)
    fields = [f for f in envelope.get("fieldPath", "").split(",") if f]
    return {
        "eventId": envelope["eventId"],
        "type": tk.event_names[envelope["eventType"]].value,
        "kind": resource,
        "orderId": order["id"],
        "state": order.get("state"),
        "previousState": envelope.get("previousState"),
        "changedFields": sorted(canonical_names.get(f) or f for f in fields),
        "itemChanges": sorted(
            (c["id"], c["previousState"], c["state"]) for c in envelope.get("itemStateChange", [])
        ),
    }


def _state(ossj: str | None) -> str | None:
    return None if ossj is None else State.from_ossj(ossj).value


def from_topic(message: Received) -> dict[str, Any]:
    """An XML event from ``ordergate.events`` in canonical form."""
    root = message.root
    name = message.name  # orderCreateEvent ...
    if name.startswith("cancelOrder"):  # a cancel task's event
        return {
            "eventId": message.text("om:eventId"),
            "type": "C" + name[1:].removesuffix("Event"),
            "kind": message.text("om:key/om:type"),
            "orderId": message.text("om:key/om:primaryKey"),
            "taskId": message.text("om:taskId"),
            "taskState": message.text("om:taskState"),
        }
    return {
        "eventId": message.text("om:eventId"),
        "type": "Order" + name.removeprefix("order").removesuffix("Event"),
        "kind": message.text("om:key/om:type"),
        "orderId": message.text("om:key/om:primaryKey"),
        "state": _state(message.text("om:state")),
        "previousState": _state(message.text("om:previousState")),
        "changedFields": sorted(a.text or "" for a in root.findall("om:changedAttribute", _NS)),
        "itemChanges": sorted(
            (text(c, "om:itemId"), _state(text(c, "om:previousState")), _state(text(c, "om:state")))
            for c in root.findall("om:itemStateChange", _NS)
        ),
    }


# ------------------------------------------------------------------ the scenario


async def _arrived(count: int, seen: Callable[[], list[Any]], channel: str) -> list[Any]:
    """Until ``count`` deliveries are there (a bounded wait); every delivery, duplicates included."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + EVENT_WAIT
    while len(got := seen()) < count:
        if loop.time() > deadline:
            raise AssertionError(f"{channel}: {len(got)} of {count} events after {EVENT_WAIT}s: {got}")
        await asyncio.sleep(0.02)
    return got


class Observer:
    """Both channels' deliveries for one order, step by step."""

    def __init__(self, p: Profiles, order_id: str) -> None:
        self.p = p
        self.order_id = order_id
        self.expected = 0

    def hub(self) -> list[dict[str, Any]]:
        return [from_hub(e) for e in self.p.hub.events_for(self.order_id)]

    def topic(self) -> list[dict[str, Any]]:
        return [from_topic(m) for m in self.p.topic.of(self.order_id)]

    async def step(self, *expected: dict[str, Any]) -> None:
        """The step's events arrived on both channels, each as ``expected``, alike in both forms."""
        start, self.expected = self.expected, self.expected + len(expected)
        hub = (await _arrived(self.expected, self.hub, "hub"))[start:]
        topic = (await _arrived(self.expected, self.topic, "topic"))[start:]
        assert hub == topic, f"hub {hub}\ntopic {topic}"
        assert len(hub) == len(expected), hub
        for got, want in zip(hub, expected, strict=True):
            assert {k: got[k] for k in want} == want, got

    async def settle(self) -> list[dict[str, Any]]:
        """After a quiet while: no straggler, no duplicate on either channel; the events seen."""
        await asyncio.sleep(QUIET)
        hub, topic = self.hub(), self.topic()
        assert len(hub) == self.expected, hub
        assert len(topic) == self.expected, topic
        ids = [e["eventId"] for e in hub]
        assert len(set(ids)) == len(ids), ids
        assert hub == topic
        return hub


def _ok(reply: Reply) -> Any:
    assert reply.error is None, reply
    return reply.result


async def test_one_order_through_every_profile(profiles: Profiles) -> None:
    p = profiles

    # created over SOAP, read back over REST
    created = _ok(await p.soap.call("alice", "createOrderByValue", {"kind": KIND, "value": VALUE}))
    order_id = created["id"]
    assert created["state"] == "acknowledged"
    seen = Observer(p, order_id)
    read = _ok(await p.rest.call("alice", "getOrderByKey", {"kind": KIND, "id": order_id}))
    assert (read["state"], read["description"]) == ("acknowledged", "mixed profiles")
    await seen.step({"type": "OrderCreate", "kind": KIND, "orderId": order_id, "state": "acknowledged"})

    # changed over REST, read back over AMQP
    change = {"description": "changed over REST"}
    _ok(await p.rest.call("alice", "setOrderByValue", {"kind": KIND, "id": order_id, "value": change}))
    read = _ok(await p.amqp.call("alice", "getOrderByKey", {"kind": KIND, "id": order_id}))
    assert (read["state"], read["description"]) == ("acknowledged", "changed over REST")
    await seen.step(
        {"type": "OrderAttributeValueChange", "orderId": order_id, "changedFields": ["description"]}
    )

    # cancelled over AMQP: acknowledged, so straight to cancelled; read back over SOAP
    aborted = _ok(await p.amqp.call("alice", "abortOrderByKey", {"kind": KIND, "id": order_id}))
    assert aborted["state"] == "cancelled"
    read = _ok(await p.soap.call("alice", "getOrderByKey", {"kind": KIND, "id": order_id}))
    assert (read["state"], read["description"]) == ("cancelled", "changed over REST")
    await seen.step(
        {
            "type": "OrderStateChange",
            "orderId": order_id,
            "previousState": "acknowledged",
            "state": "cancelled",
        },
        # the request was a cancel task: received and done at once
        {"type": "CancelOrderCreate", "orderId": order_id, "taskState": "acknowledged"},
        {"type": "CancelOrderStateChange", "orderId": order_id, "taskState": "done"},
    )

    # removed over SOAP: gone over REST and AMQP
    _ok(await p.soap.call("alice", "removeOrderByKey", {"kind": KIND, "id": order_id}))
    for driver in (p.rest, p.amqp):
        gone = await driver.call("alice", "getOrderByKey", {"kind": KIND, "id": order_id})
        assert gone.error == "objectNotFound", (driver.name, gone)
    await seen.step({"type": "OrderRemove", "orderId": order_id})

    events = await seen.settle()
    assert [e["type"] for e in events] == [
        "OrderCreate",
        "OrderAttributeValueChange",
        "OrderStateChange",
        "CancelOrderCreate",
        "CancelOrderStateChange",
        "OrderRemove",
    ]


# ------------------------------------------------------------------ end to end, each layer its profile

BROADBAND = {
    "items": [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "fibre-broadband"},
            "entity": {
                "characteristics": [
                    {"name": "downloadSpeed", "value": "1G"},
                    {"name": "phoneNumber", "value": "+33 1 23 45 67 89"},
                ]
            },
        }
    ]
}


async def _part(driver: Any, kind: str, parent: str, part: str) -> str | None:
    """The order realizing ``part`` of ``parent``, as that profile's client finds it (None: not yet)."""
    query = {"kind": kind, "criteria": [["parent.orderId", "eq", [parent]]]}
    found = _ok(await driver.call("noc", "queryOrders", query))
    ids = [d["id"] for d in found["orders"] if [i["id"] for i in d["items"]] == [part]]
    assert len(ids) <= 1, ids
    return ids[0] if ids else None


async def test_a_product_order_over_rest_fulfilled_over_soap_and_amqp(profiles: Profiles) -> None:
    """The BSS orders over REST; the service activator works its service orders over SOAP; the
    resource activator and the work order manager work theirs over AMQP: the product order
    completes, read back over REST."""
    p = profiles
    product = _ok(
        await p.rest.call("alice", "createOrderByValue", {"kind": "productOrder", "value": BROADBAND})
    )
    _ok(await p.rest.call("alice", "startOrderByKey", {"kind": "productOrder", "id": product["id"]}))

    async def work_service(part: str, leaves: dict[str, str]) -> None:
        service = await _part(p.soap, "serviceOrder", product["id"], part)
        assert service is not None, f"{part}: no service order"
        for _round in range(len(leaves) + 1):  # a leaf that waits for another is due once it completed
            read = _ok(await p.soap.call("noc", "getOrderByKey", {"kind": "serviceOrder", "id": service}))
            if read["state"] == "completed":
                return
            for leaf, kind in leaves.items():
                order_id = await _part(p.amqp, kind, service, leaf)
                if order_id is None:
                    continue
                current = _ok(await p.amqp.call("noc", "getOrderByKey", {"kind": kind, "id": order_id}))
                if current["state"] == "inProgress":
                    move = {"kind": kind, "id": order_id, "itemId": leaf, "state": "completed"}
                    _ok(await p.amqp.call("noc", "changeOrderItemState", move))
        raise AssertionError(f"{part}: its parts completed, it did not")

    leaves = {
        "olt-port": "resourceOrder",
        "ont-installation": "workOrder",
        "vlan": "resourceOrder",
        "ont": "resourceOrder",
    }
    await work_service("internet", leaves)
    await work_service("voice", {"voice-port": "resourceOrder"})
    done = _ok(await p.rest.call("alice", "getOrderByKey", {"kind": "productOrder", "id": product["id"]}))
    assert (done["state"], [i["state"] for i in done["items"]]) == ("completed", ["completed"])
