"""``GET /metrics`` of a served gateway: each profile's requests counted under bounded labels, the
database's figures, and the Grafana dashboard's queries naming only metrics the gateway exports."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from bench.rest import service_order
from tests.amqp_broker import Requester, request_body, service_key
from tests.amqp_gateway import served_schema
from tests.integration.operations.scrape import Scrape, scrape
from tests.integration.startup.process import Served

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

ROOT = Path(__file__).resolve().parents[3]
ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
SOAP = "/soap/OrderManagement"
ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{}</soap:Body>'
    "</soap:Envelope>"
)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.2)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(ops_database: str, ops_amqp_url: str, tmp_path_factory) -> AsyncIterator[str]:
    served = Served(
        tmp_path_factory.mktemp("metrics"),
        ORDERGATE_DATABASE_URL=ops_database,
        ORDERGATE_AMQP_URL=ops_amqp_url,
        ORDERGATE_PORT="0",
    )
    try:
        url = await served.http_url()
        await served.wait_for("answering requests on ordergate.requests")
        yield url
    finally:
        assert await served.stop() == 0, served.text()


async def soap(http: aiohttp.ClientSession, url: str, operation: str, inner: str = "") -> int:
    body = ENVELOPE.format(request_body(operation, inner).decode())
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    async with http.post(url + SOAP, data=body.encode(), headers=headers) as response:
        return response.status


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def driven(gateway: str, ops_amqp_url: str) -> Scrape:
    """One round of requests through every profile, then the scrape that shows them."""
    async with aiohttp.ClientSession() as http:
        late = {**service_order(1), "requestedCompletionDate": "2020-01-01T00:00:00Z"}
        for order in (service_order(0), late):
            async with http.post(gateway + ORDERS, json=order) as response:
                assert response.status == 201, await response.text()
        async with http.get(f"{gateway}{ORDERS}/no-such-order") as response:
            assert response.status == 404
        assert await soap(http, gateway, "getOrderTypes") == 200
        assert await soap(http, gateway, "getOrderByKey", service_key("no-such-order")) == 500
    requester = await Requester(ops_amqp_url, await served_schema(gateway)).open()
    try:
        reply = await requester.call("getOrderTypes")
        assert reply.name == "getOrderTypesResponse"
        await requester.send(request_body("getOrderTypes"), reply=False)  # no reply_to: dead-lettered
    finally:
        await requester.close()

    async def shown() -> bool:
        found = await scrape(gateway)
        return (
            found.value("ordergate_amqp_dead_lettered_total") >= 1
            and found.value("ordergate_relay_published_events_total") >= 2
        )

    await until(shown)
    return await scrape(gateway)


def test_rest_requests_are_counted_by_route_template_and_error_kind(driven: Scrape):
    create = f"POST {ORDERS}"
    read = "GET " + ORDERS + "/{id}"
    assert driven.value("ordergate_requests_total", profile="rest", operation=create, outcome="ok") == 2
    assert (
        driven.value("ordergate_requests_total", profile="rest", operation=read, outcome="objectNotFound")
        == 1
    )
    assert "no-such-order" not in driven.text, "a raw path became a label"
    assert driven.value("ordergate_request_duration_seconds_count", profile="rest", operation=create) == 2


def test_soap_requests_are_counted_by_operation_and_error_kind(driven: Scrape):
    counted = driven.value
    assert counted("ordergate_requests_total", profile="soap", operation="getOrderTypes", outcome="ok") == 1
    found = counted(
        "ordergate_requests_total", profile="soap", operation="getOrderByKey", outcome="objectNotFound"
    )
    assert found == 1
    assert counted("ordergate_request_duration_seconds_count", profile="soap", operation="getOrderTypes") == 1


def test_amqp_requests_and_dead_letters_are_counted(driven: Scrape):
    assert (
        driven.value("ordergate_requests_total", profile="amqp", operation="getOrderTypes", outcome="ok") == 1
    )
    assert driven.value("ordergate_requests_total", profile="amqp", outcome="deadLettered") == 1
    assert driven.value("ordergate_amqp_dead_lettered_total") == 1
    assert driven.value("ordergate_amqp_requests_in_flight") == 0


def test_the_database_figures_are_the_order_books(driven: Scrape):
    assert driven.value("ordergate_orders", kind="serviceOrder", state="acknowledged") == 2
    assert driven.value("ordergate_orders_in_jeopardy", kind="serviceOrder") == 1
    assert driven.value("ordergate_order_book_up") == 1
    assert driven.value("ordergate_outbox_events") >= 0
    assert driven.value("ordergate_relay_published_events_total") >= 2
    assert driven.value("ordergate_relay_lag_seconds_count") >= 2
    assert driven.value("ordergate_database_connections_max", pool="asyncpg") > 0


def promql_metric_names(expression: str) -> set[str]:
    """The metric names a PromQL expression selects (every identifier starting ordergate_)."""
    return set(re.findall(r"\bordergate_[a-z0-9_]+", expression))


def test_every_grafana_query_names_metrics_the_gateway_exports(driven: Scrape):
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "ordergate.json").read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert expressions
    for expression in expressions:
        unknown = promql_metric_names(expression) - driven.names
        assert not unknown, f"{expression} names metrics the gateway does not export: {unknown}"
