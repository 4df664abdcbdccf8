"""Large requests stay within a documented memory bound (docs/benchmarks.md, "Memory").

Each case starts the gateway as a process of its own (``python -m bench.serve``, a
64 MiB body limit), sends it one large request, and reads the process's peak resident
set size (``VmHWM`` in ``/proc/<pid>/status``) afterwards: the memory the request cost
is measured, not timed.  The bounds are the peak of the whole process, start-up
included.
"""

from __future__ import annotations

import asyncio
import io
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from adapters.sql import migrate
from adapters.xml import NS
from bench.measure import peak_rss_bytes
from tests.conftest import create_database, drop_database

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux"),
]

MIB = 2**20
# The documented bounds (docs/benchmarks.md, "Memory"): the gateway process's peak RSS.
BOUND_LARGE_ORDER = 600 * MIB  # a 100,000-item order created, then read back, over REST (403 MiB measured)
BOUND_SOAP_ENVELOPE = 900 * MIB  # a 16 MiB SOAP createOrderByValue envelope (658 MiB measured)
BOUND_BULK = 256 * MIB  # 1,000 orders created in one atomic REST bulk request (133 MiB measured)
SERVICE_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    url = create_database("memory")
    migrate(url)
    yield url
    drop_database(url)


@pytest.fixture
async def gateway(database: str) -> AsyncIterator[tuple[str, int]]:
    """A gateway process of its own: (base URL, pid)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.serve", "ordergate", database, "--max-body-bytes", str(64 * MIB),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.startswith(b"PORT "), line
        yield f"http://127.0.0.1:{int(line.split()[1])}", proc.pid
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


def _items(count: int) -> list[dict[str, object]]:
    return [
        {"id": str(n), "action": "add", "service": {"serviceSpecification": {"id": "fibre-access"}}}
        for n in range(1, count + 1)
    ]


async def _post(session: aiohttp.ClientSession, url: str, body: bytes, **headers: str) -> tuple[int, bytes]:
    data = io.BytesIO(body)  # aiohttp warns of large bytes bodies (they would block its loop)
    async with session.post(url, data=data, headers={"Content-Type": "application/json", **headers}) as r:
        return r.status, await r.read()


def _peak(pid: int) -> int:
    peak = peak_rss_bytes(pid)
    assert peak is not None
    return peak


def _large_order() -> bytes:
    """100,000 items: ten, each holding 9,999 (a list holds at most 10,000 entries)."""
    items = _items(10)
    for n, item in enumerate(items):
        item["serviceOrderItem"] = [{**inner, "id": f"{n}.{inner['id']}"} for inner in _items(9_999)]
    return json.dumps({"externalId": "large", "serviceOrderItem": items}).encode()


async def test_a_100000_item_order_created_and_read_over_rest(gateway: tuple[str, int]):
    url, pid = gateway
    body = _large_order()
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        status, answer = await _post(session, url + SERVICE_ORDERS, body)
        assert status == 201, answer[:300]
        order_id = json.loads(answer)["id"]
        del answer
        async with session.get(f"{url}{SERVICE_ORDERS}/{order_id}") as r:
            assert r.status == 200
            items = json.loads(await r.read())["serviceOrderItem"]
            assert sum(1 + len(i["serviceOrderItem"]) for i in items) == 100_000
    print(f"peak RSS {_peak(pid) / MIB:.0f} MiB")
    assert _peak(pid) < BOUND_LARGE_ORDER, f"peak RSS {_peak(pid) / MIB:.0f} MiB"


def _soap_envelope(size: int) -> bytes:
    item = (
        "<om:item><om:id>{n}</om:id><om:action>add</om:action><om:entity><om:specification>"
        "<om:id>fibre-access</om:id></om:specification><om:characteristic><om:name>bandwidth</om:name>"
        "<om:value>1G</om:value></om:characteristic></om:entity></om:item>"
    )
    count = min(100_000, size // len(item.format(n=50_000)))
    items = "".join(item.format(n=n) for n in range(1, count + 1))
    padding = "x" * max(0, size - len(items) - 600)  # the rest of 16 MiB in a note's text
    notes = "".join(
        f"<om:note><om:text>{padding[i : i + 9000]}</om:text></om:note>" for i in range(0, len(padding), 9000)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><soap:Envelope '
        f'xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:om="{NS}"><soap:Body>'
        "<om:createOrderByValueRequest><om:serviceOrderValue><om:externalId>soap-large</om:externalId>"
        f"<om:notes>{notes}</om:notes><om:items>{items}</om:items></om:serviceOrderValue>"
        "</om:createOrderByValueRequest></soap:Body></soap:Envelope>"
    ).encode()


async def test_a_16_mib_soap_envelope(gateway: tuple[str, int]):
    url, pid = gateway
    envelope = _soap_envelope(16 * MIB)
    assert len(envelope) >= 15 * MIB
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"createOrderByValue"'}
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session,
        session.post(url + "/soap/OrderManagement", data=io.BytesIO(envelope), headers=headers) as r,
    ):
        answer = await r.read()
    assert r.status == 200, answer[:500]
    print(f"peak RSS {_peak(pid) / MIB:.0f} MiB")
    assert _peak(pid) < BOUND_SOAP_ENVELOPE, f"peak RSS {_peak(pid) / MIB:.0f} MiB"


async def test_a_1000_order_bulk_create(gateway: tuple[str, int]):
    url, pid = gateway
    orders = [{"externalId": f"bulk-{n}", "serviceOrderItem": _items(3)} for n in range(1000)]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=600)) as session:
        status, answer = await _post(session, f"{url}{SERVICE_ORDERS}/bulk", json.dumps(orders).encode())
    assert status == 201, answer[:300]
    assert len(json.loads(answer)) == 1000
    print(f"peak RSS {_peak(pid) / MIB:.0f} MiB")
    assert _peak(pid) < BOUND_BULK, f"peak RSS {_peak(pid) / MIB:.0f} MiB"
