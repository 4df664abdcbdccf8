"""``ordergate bench rest``: POST create of a TMF641 service order over real HTTP.

The body is TM Forum's official TMF641 ServiceOrder sample, reduced to what
ServiceOrder_Create allows (``bench/data``), its externalId numbered per
request; ``--body compact`` sends the two-item order of earlier figures.

Starts the gateway (``build_app`` on a fresh PostgreSQL database) and the raw
aiohttp + asyncpg baseline (``bench.raw_rest_server``), each in a process of
its own on a free loopback port, and drives them from this process with an
aiohttp client at a fixed concurrency.  The load generator never shares a
process with a server.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bench.measure import PEAKS, Figures, Runner, machine_line, server_process, slice_sizes, table, verdict
from bench.query_data import sample_body
from bench.raw_rest_server import PATH
from bench.scratch import DEFAULT_PG_SERVER, scratch_postgres

TARGET = 0.50
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


@functools.cache
def _sample() -> bytes:
    """The sample, its requested dates moved ahead of today (as a new order's are: an order
    already late would have the gateway's jeopardy watch raise an alert on every one)."""
    body = sample_body("serviceOrder")
    today = datetime.now(UTC).replace(microsecond=0)
    body["requestedStartDate"] = (today + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    body["requestedCompletionDate"] = (today + timedelta(days=14)).isoformat().replace("+00:00", "Z")
    return json.dumps(body).encode()


def sample_order(i: int) -> bytes:
    """The official TMF641 sample as a client creates it, numbered: the default body."""
    return _sample().replace(b'"externalId": "BSS747"', f'"externalId": "bench-{i}"'.encode(), 1)


def compact_order(i: int) -> bytes:
    return json.dumps(service_order(i)).encode()


BODIES = {"sample": sample_order, "compact": compact_order}


def service_order(i: int) -> dict[str, Any]:
    """A two-item TMF641 ServiceOrder, the REST form of ``bench.raw_orders.order_value``."""
    return {
        "externalId": f"bench-{i}",
        "priority": "2",
        "description": "Fibre access with a managed router",
        "relatedParty": [{"id": "cust-42", "role": "customer", "name": "Acme Ltd"}],
        "serviceOrderItem": [
            {
                "id": "1",
                "action": "add",
                "service": {
                    "serviceSpecification": {"id": "fibre-access", "name": "Fibre access"},
                    "serviceCharacteristic": [
                        {"name": "bandwidth", "value": "1G"},
                        {"name": "vlan", "value": "100"},
                    ],
                },
            },
            {
                "id": "2",
                "action": "add",
                "service": {
                    "serviceSpecification": {"id": "managed-router", "name": "Managed router"},
                    "serviceCharacteristic": [{"name": "model", "value": "X200"}],
                },
                "serviceOrderItemRelationship": [
                    {"relationshipType": "dependsOn", "orderItem": {"itemId": "1"}}
                ],
            },
        ],
    }


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench rest", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=2000, help="POSTs per measured run (default 2000)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument(
        "--slices", type=int, default=4, help="the servers take turns in this many slices (default 4)"
    )
    p.add_argument(
        "--body",
        choices=sorted(BODIES),
        default="sample",
        help="the official TMF641 sample (default) or compact",
    )
    p.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="both servers' event loop"
    )
    args = p.parse_args(argv)
    if min(args.orders, args.concurrency, args.slices) < 1:
        p.error("--orders, --concurrency and --slices must be at least 1")
    return args


class CreatePoster:
    """POSTs numbered service orders to one server; anything but 201 stops the benchmark."""

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, label: str, body: str = "sample"
    ) -> None:
        self._session = session
        self._url = base_url + PATH
        self.label = label
        self._body = BODIES[body]

    async def __call__(self, i: int) -> None:
        body = self._body(i)
        async with self._session.post(self._url, data=body, headers=JSON_HEADERS) as response:
            answer = await response.read()
            if response.status != 201 or "Location" not in response.headers:
                raise RuntimeError(
                    f"{self.label}: POST {self._url} answered {response.status}: {answer[:1000]!r}"
                )


async def run(args: argparse.Namespace) -> list[Figures]:
    """The servers take turns, one running at a time, in ``slices`` slices each: neither
    competes with an idle twin, the database never holds both connection pools, and a
    neighbour's burst of load falls on both alike.  Each start is warmed up first."""
    runner = Runner(args.orders, args.concurrency)
    servers = {"raw": "raw aiohttp+asyncpg POST", "ordergate": "ordergate REST POST"}
    totals = {target: Figures("postgres", label, 0, 0.0) for target, label in servers.items()}
    async with (
        scratch_postgres(args.pg_url, "rest") as database,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as session,
    ):
        for size in slice_sizes(args.orders, args.slices):
            for target, label in servers.items():
                serving = ("bench.serve", target, database, "--loop", args.loop)
                async with server_process(*serving, label=f"{target} server ({args.loop})") as url:
                    poster = CreatePoster(session, url, label, args.body)
                    await runner.warm(poster, size)
                    await runner.add_slice(totals[target], poster, size)
    baseline, measured = totals["raw"], totals["ordergate"]
    measured.baseline = baseline
    return [baseline, measured]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows = asyncio.run(run(args))
    print(
        f"ordergate bench rest: {args.orders} POSTs per run of the {args.body} body "
        f"({len(BODIES[args.body](0))} bytes), concurrency {args.concurrency}, servers on {args.loop} "
        f"taking turns in {args.slices} slices, client in its own process; {machine_line()}"
    )
    print(table(rows))
    print(verdict(rows[-1], TARGET, "REST create"))
    print("\n".join(PEAKS.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
