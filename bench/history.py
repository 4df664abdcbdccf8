"""``ordergate bench history``: what one change costs as an order's history grows.

One order takes ``--changes`` modifications in a row (each a history entry);
at each ``--at`` point, ``--sample`` more changes are timed one by one and
their median printed, on SQLite and on PostgreSQL.  The history is stored in
the order's document and only grows; a change parses and renders none of the
entries before it (``core.domain.model.History``), so what is left to grow is
reading and writing the document itself.  Figures are for people to read
(docs/benchmarks.md); no test asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from adapters.sql import SqlaOrderStore
from bench.measure import machine_line
from bench.scratch import DEFAULT_PG_SERVER, scratch_postgres, scratch_sqlite
from core.domain.model import Caller, Kind
from core.usecases import OrderManagement

CLIENT = Caller("bench-client")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench history", description=__doc__.split("\n\n")[0])
    p.add_argument("--at", default="10,500,1000,2000", help="history lengths to time at (comma-separated)")
    p.add_argument("--sample", type=int, default=20, help="changes timed at each point (default 20)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server (a scratch database is made)")
    p.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = p.parse_args(argv)
    args.points = sorted({int(x) for x in args.at.split(",") if x.strip()})
    if not args.points or min(args.points) < 1 or args.sample < 1:
        p.error("--at takes positive lengths and --sample at least 1")
    return args


async def _curve(url: str, points: list[int], sample: int) -> list[tuple[int, float]]:
    store = SqlaOrderStore(url)
    try:
        om = OrderManagement(store)
        value = {"items": [{"id": "i1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}
        order = await om.create_order(CLIENT, Kind.SERVICE, value)
        length, out = 1, []
        for point in points:
            while length < point:
                await om.set_order(CLIENT, None, order.id, {"description": f"change {length}"})
                length += 1
            took = []
            for n in range(sample):
                start = time.perf_counter()
                await om.set_order(CLIENT, None, order.id, {"description": f"timed {point}-{n}"})
                took.append(time.perf_counter() - start)
            length += sample
            out.append((point, statistics.median(took) * 1000))
        return out
    finally:
        await store.close()


async def run(args: argparse.Namespace) -> list[str]:
    stores: list[tuple[str, Callable[[], AbstractAsyncContextManager[str]]]] = [("sqlite", scratch_sqlite)]
    if not args.no_postgres:
        stores.append(("postgres", lambda: scratch_postgres(args.pg_url, "history")))
    lines = []
    for name, scratch in stores:
        async with scratch() as url:
            for point, ms in await _curve(url, args.points, args.sample):
                lines.append(f"{name:9} history {point:6}: median {ms:6.1f} ms per change")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    lines = asyncio.run(run(args))
    print(f"ordergate bench history: {args.sample} timed changes at each point; {machine_line()}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
