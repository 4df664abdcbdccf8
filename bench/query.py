"""``ordergate bench query``: reads over REST on a book of a million orders.

Loads ``--orders`` realistic orders straight into a fresh PostgreSQL database
(``bench.query_data``: COPY, indexes built after), starts the gateway in a
process of its own with a credentials file (an admin and the clients whose
own lists are read), and measures, at ``--concurrency`` callers, each read a
partner makes all day: get by id; a state's first page; a client's orders in
a date range sorted by date; filters on an item's specification and on a
characteristic (JSONB containment, the GIN index); the exact and the
estimated ``X-Total-Count`` of a broad filter; a deep page by ``offset`` and
the same depth by ``cursor``.  The queries take turns in ``--slices``
slices.  ``--database URL`` measures an already loaded database (``--keep``
leaves one behind) instead of loading one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from adapters.rest.filters import cursor_token
from bench.measure import PEAKS, Figures, Runner, machine_line, server, slice_sizes
from bench.query_data import NOW, client_of, load, specification_of
from bench.scratch import DEFAULT_PG_SERVER, asyncpg_dsn, create_kept, scratch_postgres

BASES = {
    "productOrder": "/tmf-api/productOrderingManagement/v4/productOrder",
    "serviceOrder": "/tmf-api/serviceOrdering/v4/serviceOrder",
    "resourceOrder": "/tmf-api/resourceOrdering/v4/resourceOrder",
    "workOrder": "/tmf-api/workOrderManagement/v4/workOrder",
}
ADMIN_KEY = "bench-admin-key"
# clients whose own lists are read: large, middling and small ones
LIST_CLIENTS = [0, 3, 10, 40, 100, 250, 600, 1200]
OPEN_STATES = ["inProgress", "acknowledged", "held", "pending"]
DEEP = 500_000
# The jeopardy watch reads every open order's document each round (no index serves its
# criteria): at a million orders a round outlasts its 30 s interval.  Set aside unless asked.
JEOPARDY_SECONDS = 86400


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench query", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=1_000_000, help="orders in the book (default 1000000)")
    p.add_argument("--requests", type=int, default=1000, help="requests per query (default 1000)")
    p.add_argument("--deep-requests", type=int, default=64, help="requests of the offset page (default 64)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    p.add_argument("--slices", type=int, default=2, help="the queries take turns in this many slices")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument("--database", help="measure this already loaded database (no load, not dropped)")
    p.add_argument("--keep", action="store_true", help="keep the loaded database (its URL is printed)")
    p.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the gateway's event loop"
    )
    args = p.parse_args(argv)
    if min(args.orders, args.requests, args.deep_requests, args.concurrency, args.slices) < 1:
        p.error("counts, concurrency and slices must be at least 1")
    return args


def _key_of(client: int) -> str:
    return f"bench-key-{client}"


def credentials_file(directory: str) -> str:
    """An admin, and each listed client with its own key."""
    sha = lambda key: hashlib.sha256(key.encode()).hexdigest()  # noqa: E731
    entries = [{"clientId": "bench-admin", "roles": ["admin"], "keySha256": sha(ADMIN_KEY)}]
    entries += [
        {"clientId": client_of(n), "roles": ["client"], "keySha256": sha(_key_of(n))} for n in LIST_CLIENTS
    ]
    path = Path(directory) / "credentials.json"
    path.write_text(json.dumps({"clients": entries}))
    return str(path)


@dataclass
class Book:
    """What the queries need to know of the loaded book: ids to get, positions deep in it."""

    ids: list[tuple[str, str]]
    deep_positions: list[tuple[str, str]]
    total: int


async def survey(database: str) -> Book:
    conn = await asyncpg.connect(asyncpg_dsn(database))
    try:
        ids = await conn.fetch("SELECT kind, id FROM orders TABLESAMPLE SYSTEM (1) LIMIT 20000")
        if len(ids) < 100:  # a small book: a 1% sample of its pages may hold nothing
            ids = await conn.fetch("SELECT kind, id FROM orders LIMIT 20000")
        total = int(await conn.fetchval("SELECT count(*) FROM orders WHERE kind = 'productOrder'"))
        depth = min(DEEP, max(0, total - 100))
        deep = await conn.fetch(
            "SELECT order_date, id FROM orders WHERE kind = 'productOrder' ORDER BY order_date, id"
            " OFFSET $1 LIMIT 200",
            depth,
        )
    finally:
        await conn.close()
    positions = [(d.isoformat(timespec="milliseconds") + "Z", i) for d, i in deep]
    return Book([(k, i) for k, i in ids], positions, total)


Request = Callable[[int], Awaitable[None]]


class Reads:
    """The measured reads: each a GET whose answer is checked (200, the page it promised)."""

    def __init__(self, session: aiohttp.ClientSession, url: str, book: Book) -> None:
        self._session, self._url, self._book = session, url, book
        self.depth = min(DEEP, max(0, book.total - 100))

    async def _get(self, path: str, key: str = ADMIN_KEY, **params: str) -> aiohttp.ClientResponse:
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        async with self._session.get(self._url + path, params=params, headers=headers) as response:
            body = await response.read()
            if response.status != 200:
                raise RuntimeError(f"GET {path} {params} answered {response.status}: {body[:300]!r}")
            return response

    async def by_id(self, i: int) -> None:
        kind, order_id = self._book.ids[i % len(self._book.ids)]
        await self._get(f"{BASES[kind]}/{order_id}")

    async def by_state(self, i: int) -> None:
        kind = list(BASES)[i % 4]
        await self._get(BASES[kind], state=OPEN_STATES[i // 4 % len(OPEN_STATES)], limit="50")

    async def by_client_and_dates(self, i: int) -> None:
        rng = random.Random(i)
        start = NOW.replace(tzinfo=None).toordinal() - rng.randrange(60, 700)
        first = f"{_day(start)}T00:00:00Z"
        last = f"{_day(start + 60)}T00:00:00Z"
        client = LIST_CLIENTS[i % len(LIST_CLIENTS)]
        params = {"orderDate.gte": first, "orderDate.lt": last, "sort": "orderDate", "limit": "50"}
        await self._get(BASES["productOrder"], _key_of(client), **params)

    async def by_specification(self, i: int) -> None:
        spec = specification_of("serviceOrder", random.Random(i).randrange(60))
        path = "serviceOrderItem.service.serviceSpecification.id"
        await self._get(BASES["serviceOrder"], **{path: spec, "limit": "50"})

    async def by_characteristic(self, i: int) -> None:
        value = f"InputPort-{i % 20}"
        path = "serviceOrderItem.service.serviceCharacteristic.value"
        await self._get(BASES["serviceOrder"], **{path: value, "limit": "50"})

    async def count_exact(self, i: int) -> None:
        await self._get(BASES["productOrder"], state="completed", limit="1", count="exact")

    async def count_estimate(self, i: int) -> None:
        await self._get(BASES["productOrder"], state="completed", limit="1", count="estimate")

    async def deep_offset(self, i: int) -> None:
        await self._get(BASES["productOrder"], offset=str(self.depth + i % 100), limit="50", count="none")

    async def deep_cursor(self, i: int) -> None:
        position = self._book.deep_positions[i % len(self._book.deep_positions)]
        await self._get(BASES["productOrder"], cursor=cursor_token("", position), limit="50")

    async def projected(self, i: int) -> None:
        await self._get(BASES["workOrder"], limit="50", fields="state,orderDate", count="none")


def _day(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()


def queries(reads: Reads) -> dict[str, tuple[Request, int | None]]:
    """Label -> (request, how many of it; None: ``--requests``)."""
    return {
        "get by id": (reads.by_id, None),
        "list by state, limit=50": (reads.by_state, None),
        "client + date range by date": (reads.by_client_and_dates, None),
        "item specification id": (reads.by_specification, None),
        "characteristic value": (reads.by_characteristic, None),
        "broad filter, count=exact": (reads.count_exact, None),
        "broad filter, count=estimate": (reads.count_estimate, None),
        f"offset={reads.depth}": (reads.deep_offset, -1),
        f"cursor at {reads.depth}": (reads.deep_cursor, None),
        "fields=state,orderDate": (reads.projected, None),
    }


@contextlib.asynccontextmanager
async def book(args: argparse.Namespace) -> AsyncIterator[str]:
    if args.database:
        yield args.database
        return
    if args.keep:
        database = await create_kept(args.pg_url, "query")
        await load(asyncpg_dsn(database), args.orders)
        yield database
        return
    async with scratch_postgres(args.pg_url, "query") as database:
        await load(asyncpg_dsn(database), args.orders)
        yield database


async def measure(args: argparse.Namespace, database: str) -> list[Figures]:
    runner = Runner(args.requests, args.concurrency)
    surveyed = await survey(database)
    with tempfile.TemporaryDirectory(prefix="ordergate-bench-") as tmp:
        gateway = (
            "bench.serve",
            "ordergate",
            database,
            "--loop",
            args.loop,
            "--credentials",
            credentials_file(tmp),
        )
        async with (
            server(*gateway, label=f"gateway ({args.loop})") as running,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as session,
        ):
            plan = queries(Reads(session, running.url, surveyed))
            totals = {label: Figures("postgres", label, 0, 0.0) for label in plan}
            for request, _ in plan.values():
                await runner.warm(request, args.concurrency * 4)
            for n in range(args.slices):
                for label, (request, count) in plan.items():
                    wanted = args.deep_requests if count == -1 else args.requests
                    size = (
                        slice_sizes(wanted, args.slices)[n]
                        if n < len(slice_sizes(wanted, args.slices))
                        else 0
                    )
                    if size:
                        await runner.add_slice(totals[label], request, size)
    return list(totals.values())


GOALS_MS = {"get by id": 5.0}
LIST_GOAL_MS = 50.0


def report(rows: list[Figures]) -> list[str]:
    header = f"{'query':<30} {'requests':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  goal p99"
    lines = [header, "-" * len(header)]
    for f in rows:
        goal = GOALS_MS.get(f.operation, LIST_GOAL_MS)
        met = "met" if f.percentile_ms(99) < goal else "NOT met"
        lines.append(
            f"{f.operation:<30} {f.count:>8} {f.rate:>8.1f} {f.percentile_ms(50):>8.1f} "
            f"{f.percentile_ms(99):>8.1f}  < {goal:.0f} ms: {met}"
        )
    return lines


async def run(args: argparse.Namespace) -> tuple[list[Figures], str]:
    async with book(args) as database:
        return await measure(args, database), database


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows, database = asyncio.run(run(args))
    loaded = "an existing database" if args.database else f"{args.orders} orders loaded"
    print(
        f"ordergate bench query: {loaded}, {args.requests} requests per query, concurrency {args.concurrency}, "
        f"{args.slices} slices in turns, gateway on {args.loop}; {machine_line()}"
    )
    print("\n".join(report(rows)))
    print("\n".join(PEAKS.lines()))
    if args.keep and not args.database:
        print(f"database kept: {database}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
