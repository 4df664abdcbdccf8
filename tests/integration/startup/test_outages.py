"""The database or the broker lost mid-run: each profile answers as documented, the log tells it once.

An ``ordergate serve`` process reaches PostgreSQL and RabbitMQ through TCP
proxies the test cuts, so only the gateway loses them.  REST answers 503
with the TMF error body and ``Retry-After``; SOAP a ``Server`` fault with
``remoteException``; an AMQP request waits in the queue and is answered
once the database is back.  The log has one line when a dependency goes
down, a "still" line per ``ORDERGATE_OUTAGE_LOG_SECONDS``, one when it is
back -- and no traceback.
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from lxml import etree

from tests.amqp_broker import NS, Requester, request_body, reset_broker, service_key
from tests.amqp_gateway import served_schema, wait_ready
from tests.integration.rest.tmf import SERVICE, order_body
from tests.integration.startup.process import Served
from tests.proxy import TcpProxy, through

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
GET_ORDER = (
    f'<s:Envelope xmlns:s="{SOAP_ENV}"><s:Body><getOrderByKeyRequest xmlns="{NS}">'
    f"{service_key('nowhere')}</getOrderByKeyRequest></s:Body></s:Envelope>"
).encode()
ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getOrderByKey"}


@pytest.fixture
async def gateway(tmp_path, pg_url, amqp_url):
    """``ordergate serve`` with its database and broker behind proxies: (served, database, broker)."""
    await reset_broker(amqp_url)
    database, broker = await TcpProxy("127.0.0.1", 5432).start(), await TcpProxy("127.0.0.1", 5672).start()
    served = Served(
        tmp_path,
        "--port",
        "0",
        ORDERGATE_DATABASE_URL=through(pg_url, database.port),
        ORDERGATE_AMQP_URL=through(amqp_url, broker.port),
        ORDERGATE_OUTAGE_LOG_SECONDS="1",
    )
    try:
        await wait_ready(await served.http_url(), seconds=60)
        yield served, database, broker
    finally:
        await served.stop()
        await database.close()
        await broker.close()


async def test_a_database_outage_is_the_documented_error_in_every_profile_and_one_story_in_the_log(
    gateway, amqp_url
):
    served, database, _ = gateway
    http_url = await served.http_url()
    requester = await Requester(amqp_url, await served_schema(http_url)).open()
    try:
        await database.cut()
        async with aiohttp.ClientSession() as http:
            for method, path, body in (("GET", ORDERS, None), ("POST", ORDERS, order_body(SERVICE))):
                async with http.request(method, f"{http_url}{path}", json=body) as response:
                    assert response.status == 503
                    assert response.headers["Retry-After"] == "5"
                    error = await response.json()
                    assert (error["code"], error["status"], error["@type"]) == ("remote", "503", "Error")
            soap_headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getOrderByKey"}
            async with http.post(
                f"{http_url}/soap/OrderManagement", data=GET_ORDER, headers=soap_headers
            ) as response:
                assert response.status == 500
                fault = etree.fromstring(await response.read())
            assert fault.findtext(".//faultcode").endswith("Server")
            assert fault.find(f".//{{{NS}}}remoteException") is not None
            async with http.get(f"{http_url}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"] == {"database": False, "broker": True}
        key = await requester.send(request_body("getOrderByKey", service_key("nowhere")))
        await served.wait_for("database still unavailable after")
        await asyncio.sleep(1.5)
        assert not requester.replies[key], "no answer while the database is down"
        await database.start()
        (reply,) = await requester.wait(key, seconds=60)
        assert reply.name == "getOrderByKeyException"
        await served.wait_for("database available again")
    finally:
        await requester.close()
    log = served.text()
    assert log.count("database unavailable: ") == 1, log
    assert "REST answers 503" in log
    assert 1 <= log.count("database still unavailable after") <= 15
    assert log.count("database available again") == 1
    assert "Traceback" not in log
    assert "goes back to the queue" not in log


async def test_a_broker_outage_leaves_rest_and_soap_serving_and_is_one_story_in_the_log(gateway, amqp_url):
    served, _, broker = gateway
    http_url = await served.http_url()
    requester = await Requester(amqp_url, await served_schema(http_url)).open()  # the broker itself is up
    await broker.cut()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{http_url}{ORDERS}", json=order_body(SERVICE)) as response:
                assert response.status == 201, await response.text()
            async with http.post(
                f"{http_url}/soap/OrderManagement", data=GET_ORDER, headers=SOAP
            ) as response:
                fault = etree.fromstring(await response.read())
            assert fault.findtext(".//faultcode").endswith("Client")  # an unknown order: the call was served
            await served.wait_for("broker unavailable: ")
            async with http.get(f"{http_url}/readyz") as response:
                assert response.status == 503
                assert (await response.json())["checks"]["broker"] is False
            key = await requester.send(request_body("getOrderByKey", service_key("nowhere")))
            await asyncio.sleep(3)  # the client library retries every second meanwhile
            assert not requester.replies[key]
            await broker.start()
            await served.wait_for("broker available again")
            (reply,) = await requester.wait(key, seconds=60)  # it waited in the broker
            assert reply.name == "getOrderByKeyException"
            await wait_ready(http_url, seconds=60)
    finally:
        await requester.close()
    log = served.text()
    assert log.count("broker unavailable: ") == 1, log
    assert "AMQP requests wait in the broker" in log
    assert "Reconnecting after" not in log
    assert "Traceback" not in log


async def test_a_schema_changed_under_a_running_gateway_makes_it_not_ready_and_is_logged(gateway, pg_url):
    served, _, _ = gateway
    http_url = await served.http_url()
    before = await _revision(pg_url, "9999_from_the_future")
    try:
        await served.wait_for("schema unavailable: the schema is at revision 9999_from_the_future")
        async with aiohttp.ClientSession() as http, http.get(f"{http_url}/readyz") as response:
            assert response.status == 503
            body = await response.json()
        assert body["checks"] == {"database": True, "schema": False, "broker": True}
        assert "a newer Ordergate migrated it" in body["problems"]["schema"]
    finally:
        await _revision(pg_url, before)
    await served.wait_for("schema available again")
    await wait_ready(http_url)


async def _revision(url: str, revision: str) -> str:
    """Set the revision the database records; the one it recorded before."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        before = await conn.fetchval("SELECT version_num FROM alembic_version")
        await conn.execute("UPDATE alembic_version SET version_num = $1", revision)
    finally:
        await conn.close()
    return str(before)
