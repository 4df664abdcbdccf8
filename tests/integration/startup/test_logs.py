"""What ``serve`` tells an operator: every listener on start, what it drained on stop, request ids,
JSON when asked, and never a password."""

from __future__ import annotations

import json

import aiohttp
import pytest

from tests.amqp_broker import reset_broker
from tests.integration.startup.process import Served

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


def with_password(url: str, password: str) -> str:
    """The same URL with a password (the test servers trust loopback: any password is accepted)."""
    scheme, rest = url.split("://", 1)
    user, _, place = rest.partition("@")
    return f"{scheme}://{user.split(':')[0]}:{password}@{place}"


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_serve_announces_every_listener_and_says_what_it_drained(
    tmp_path, pg_url, amqp_url, startup_vhost, log_format
):
    await reset_broker(amqp_url)
    database_url = with_password(pg_url, "pg-s3cret")
    broker = with_password(amqp_url, "guest")
    served = Served(
        tmp_path,
        "--port",
        "0",
        ORDERGATE_DATABASE_URL=database_url,
        ORDERGATE_AMQP_URL=broker,
        ORDERGATE_LOG_FORMAT=log_format,
    )
    try:
        http_url = await served.http_url()
        await served.wait_for("answering requests on ordergate.requests")
        async with aiohttp.ClientSession() as http:
            headers = {"X-Request-ID": "first-call-1", "Authorization": "Bearer key-s3cret"}
            async with http.get(f"{http_url}/readyz", headers=headers) as response:
                assert response.status == 200
                assert response.headers["X-Request-ID"] == "first-call-1"
                assert (await response.json())["checks"] == {"database": True, "schema": True, "broker": True}
            async with http.get(
                f"{http_url}/nowhere", headers={"X-Request-ID": "bad id with spaces"}
            ) as response:
                made_up = response.headers["X-Request-ID"]
                assert made_up != "bad id with spaces"
                assert len(made_up) == 32
        await served.wait_for("first-call-1")
    finally:
        assert await served.stop() == 0
    log = served.text()
    for secret in ("pg-s3cret", "guest:guest", "key-s3cret"):
        assert secret not in log
    database = database_url.replace(":pg-s3cret", "")
    assert f"database {database}: schema at revision" in log
    assert f"AMQP {amqp_url.replace('guest:guest', 'guest')}: requests on ordergate.requests" in log
    assert "(dead letters ordergate.requests.dlq), events to ordergate.events" in log
    assert f"REST {http_url}/tmf-api" in log
    assert f"SOAP {http_url}/soap/OrderManagement" in log
    assert "1 process" in log
    assert "stopping: " in log
    assert "AMQP stopped: 0 requests in flight finished, 0 cut short" in log
    assert "Traceback" not in log
    if log_format == "json":
        entries = [json.loads(line) for line in log.splitlines()]  # every line one object
        (access,) = [e for e in entries if e["logger"] == "aiohttp.access" and "/readyz" in e["message"]]
        assert access["request_id"] == "first-call-1"
        assert {"time", "level", "logger", "message"} <= set(entries[0])
    else:
        assert '[request first-call-1]: 127.0.0.1 "GET /readyz' in log


@pytest.mark.parametrize(("chosen", "loop"), [(None, "uvloop"), ("asyncio", "asyncio")])
async def test_serve_runs_uvloop_unless_told_otherwise_and_says_which(tmp_path, chosen, loop):
    settings = {"ORDERGATE_EVENT_LOOP": chosen} if chosen else {}
    served = Served(tmp_path, "--port", "0", **settings)
    try:
        http_url = await served.http_url()
        async with aiohttp.ClientSession() as http, http.get(f"{http_url}/healthz") as reply:
            assert reply.status == 200
        assert f"{loop} loop)" in served.text()
    finally:
        assert await served.stop() == 0
