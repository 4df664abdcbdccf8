"""Every official TMF v4 order sample, posted as a client would, comes back as it was sent.

The samples are TM Forum's (TMF622, TMF641, TMF652, and their cancel tasks)
and this project's own TMF697 one, each reduced to what its API's create
definition allows (``tests.conformance.official``).  Posted over REST and read back, every
attribute the client sent is there unchanged (date-times as the same
instant; what the server adds -- states, dates, ``href``, default ``@type``s
-- is allowed), and the response is valid against the official definition.
The same order reads the same over AMQP and SOAP, and an order created over
AMQP or SOAP reads the same over REST; its create event carries it whole on
the REST hub and on the AMQP topic.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from adapters.rest.vocabulary import TmfKind
from adapters.sql import migrate
from tests.amqp_gateway import ROLES, broker_users, throwaway_vhost
from tests.conformance import official
from tests.conformance.all_profiles import Profiles, one_gateway
from tests.conformance.expectations import document_checks
from tests.conftest import create_database, drop_database
from tests.integration.rest import tmf
from tests.integration.rest.gateway import RestGateway, running_gateway
from tests.integration.rest.translate import canonical

PROFILES = ("rest", "amqp", "soap")
# the REST tests share one gateway per database: each creates orders of its own and reads only those
SHARED = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(
    scope="module",
    loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
async def rest(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RestGateway]:
    """A database of its own (the every-profile gateways below share the session's PostgreSQL
    database: this one's relay would take their events while it lives)."""
    workdir = tmp_path_factory.mktemp("samples")
    url = f"sqlite+aiosqlite:///{workdir / 'ordergate.db'}"
    if request.param == "postgres":
        url = create_database("samples")
    migrate(url)
    try:
        async with running_gateway(url, workdir) as gateway:
            yield gateway
    finally:
        if request.param == "postgres":
            drop_database(url)


def _conforms(tk: TmfKind, definition: str, body: Any) -> bool:
    try:
        tmf.conforms(tk, definition, body)
    except AssertionError:
        return False
    return True


@SHARED
@pytest.mark.parametrize("name", official.ORDERS)
async def test_a_posted_sample_reads_back_as_it_was_sent(rest: RestGateway, name: str):
    tk = official.tmf_kind(name)
    body = official.create_body(name)

    created = await rest.call("alice", "POST", tk.collection_path, json=body)
    assert created.status == 201, created.body
    read = await rest.call("alice", "GET", f"{tk.collection_path}/{created.body['id']}")

    assert read.status == 200, read.body
    assert document_checks(body, created.body) == []
    assert document_checks(body, read.body) == []
    # a sample that breaks its own schema (TMF641's feature) can only come back as the relaxations allow
    strict = _conforms(tk, f"{tk.type_name}_Create", body)
    tmf.conforms(tk, tk.type_name, read.body, relaxed=not strict)


async def _cancel(rest: RestGateway, name: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """An order of the sample's kind, and the cancel sample aimed at it: (order, body, reply)."""
    tk = official.tmf_kind(name)
    order = (await rest.call("alice", "POST", tk.collection_path, json=tmf.order_body(tk))).body
    body = official.cancel_body(name, order)
    return order, body, await rest.call("alice", "POST", f"{tk.base_path}/{tk.cancel_resource}", json=body)


@SHARED
@pytest.mark.parametrize("name", official.CANCELS)
async def test_a_cancel_sample_cancels_the_order_it_names(rest: RestGateway, name: str):
    tk = official.tmf_kind(name)

    order, body, task = await _cancel(rest, name)

    assert task.status == 201, task.body
    assert task.body["cancellationReason"] == body["cancellationReason"]
    tmf.conforms(tk, tk.cancel_type, task.body)
    read = await rest.call("alice", "GET", f"{tk.collection_path}/{order['id']}")
    assert (read.body["state"], read.body["cancellationReason"]) == ("cancelled", body["cancellationReason"])


@SHARED
@pytest.mark.parametrize("name", official.CANCELS)
async def test_a_cancel_task_reads_back_as_it_was_sent(rest: RestGateway, name: str):
    """Every attribute the sample sent, requestedCancellationDate included, given back on the task
    as created and as read again."""
    tk = official.tmf_kind(name)
    _, body, task = await _cancel(rest, name)
    assert document_checks(body, task.body) == []
    again = await rest.call("alice", "GET", f"{tk.base_path}/{tk.cancel_resource}/{task.body['id']}")
    assert document_checks(body, again.body) == []


def test_the_samples_are_reduced_as_their_create_definitions_say():
    product = official.create_body("TMF622-ProductOrder")
    assert {"id", "href", "state", "orderDate", "completionDate"}.isdisjoint(product)
    assert all("state" not in item for item in product["productOrderItem"])  # productOrderItem.state
    service = official.create_body("TMF641-ServiceOrder")
    assert "startDate" not in service
    assert [item["state"] for item in service["serviceOrderItem"]] == ["acknowledged"] * 4  # not skipped
    assert "startDate" in official.create_body("TMF652-ResourceOrder")  # its create offers it


def test_the_work_order_sample_uses_every_attribute_its_create_definition_offers():
    tk = official.tmf_kind("TMF697-WorkOrder")
    body = official.create_body("TMF697-WorkOrder")
    offered = set(tk.definitions["WorkOrder_Create"]["properties"])
    assert set(body) == offered
    items = body["workOrderItem"]
    item_offered = set(tk.definitions["WorkOrderItem"]["properties"]) - {"state"}  # skipped by its note
    assert set().union(*(set(i) for i in items)) == item_offered
    tmf.conforms(tk, "WorkOrder_Create", body)


# ------------------------------------------------------------------ the same order in every profile


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


@pytest.fixture
async def profiles(
    database_url: str, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[Profiles]:
    async with one_gateway(database_url, vhost, actor_urls, tmp_path) as p:
        yield p


def _shown(doc: dict[str, Any]) -> dict[str, Any]:
    """What every profile shows of an order: the XML profiles name its owner, REST does not."""
    return {k: v for k, v in doc.items() if k != "clientId"}


async def _read_everywhere(p: Profiles, kind: str, order_id: str) -> dict[str, dict[str, Any]]:
    docs = {}
    for name in PROFILES:
        reply = await getattr(p, name).call("alice", "getOrderByKey", {"kind": kind, "id": order_id})
        assert reply.error is None, (name, reply)
        docs[name] = _shown(reply.result)
    return docs


async def _create_events(p: Profiles, tk: TmfKind, order_id: str) -> dict[str, dict[str, Any]]:
    """The order the OrderCreate event carries, as the hub listener and the AMQP topic got it."""
    (envelope, *_) = await p.hub.wait_for(1, order_id)
    (message, *_) = await p.topic.wait_for(1, order_id)
    return {
        "hub": canonical(tk, envelope["event"][tk.resource]),
        "topic": p.amqp.values.document(p.amqp.values.values_in(message.root)[0]),
    }


@pytest.mark.rabbitmq
@pytest.mark.parametrize("name", official.ORDERS)
async def test_a_sample_reads_the_same_in_every_profile_whichever_created_it(profiles: Profiles, name: str):
    kind = official.kind_of(name).value
    for creator in PROFILES:
        value = official.canonical(name)
        created = await getattr(profiles, creator).call(
            "alice", "createOrderByValue", {"kind": kind, "value": value}
        )
        assert created.error is None, (creator, created)

        docs = await _read_everywhere(profiles, kind, created.result["id"])
        events = await _create_events(profiles, official.tmf_kind(name), created.result["id"])

        assert document_checks(value, docs[creator]) == [], creator
        for channel, carried in events.items():
            assert document_checks(value, carried) == [], f"created over {creator}, the {channel} event"
        for other in PROFILES:
            assert document_checks(docs[creator], docs[other]) == [], (
                f"created over {creator}, read over {other}"
            )
            assert document_checks(docs[other], docs[creator]) == [], (
                f"created over {creator}, read over {other}"
            )
