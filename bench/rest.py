"""``ordergate bench rest``: POST create of a TMF641 service order over real HTTP.

Starts the gateway (``build_app`` on a fresh PostgreSQL database) and the raw
aiohttp + asyncpg baseline (``bench.raw_rest_server``), each in a process of
its own on a free loopback port, and drives them from this process with an
aiohttp client at a fixed concurrency.  The load generator never shares a
process with a server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

from bench.measure import Figures, Runner, machine_line, server_process, slice_sizes, table, verdict
from bench.raw_rest_server import PATH
from bench.scratch import DEFAULT_PG_SERVER, scratch_postgres

TARGET = 0.50
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


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
    args = p.parse_args(argv)
    if min(args.orders, args.concurrency, args.slices) < 1:
        p.error("--orders, --concurrency and --slices must be at least 1")
    return args


class CreatePoster:
    """POSTs numbered service orders to one server; anything but 201 stops the benchmark."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, label: str) -> None:
        self._session = session
        self._url = base_url + PATH
        self.label = label

    async def __call__(self, i: int) -> None:
        body = json.dumps(service_order(i)).encode()
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
                async with server_process("bench.serve", target, database) as url:
                    poster = CreatePoster(session, url, label)
                    await runner.warm(poster, size)
                    await runner.add_slice(totals[target], poster, size)
    baseline, measured = totals["raw"], totals["ordergate"]
    measured.baseline = baseline
    return [baseline, measured]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows = asyncio.run(run(args))
    print(
        f"ordergate bench rest: {args.orders} POSTs per run, concurrency {args.concurrency}, "
        f"servers taking turns in {args.slices} slices, client in its own process; {machine_line()}"
    )
    print(table(rows))
    print(verdict(rows[-1], TARGET, "REST create"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
