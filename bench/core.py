"""``ordergate bench core``: the order-lifecycle core on SQLite and PostgreSQL.

Measures, at a fixed concurrency, ``OrderManagement.create_order`` (two
items, the OrderCreate event written to the outbox in the same transaction)
and a full lifecycle (create, start, then the fulfiller completes both
items: four transactions), and on PostgreSQL a raw asyncpg baseline that
writes the same rows (see ``bench.raw_orders``).  Every database is created
for the run and dropped at its end.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import asyncpg

from adapters.sql import SqlaOrderStore
from bench.measure import Figures, Runner, machine_line, table, verdict
from bench.raw_orders import create_raw, create_raw_one_statement, order_value, same_rows
from bench.scratch import DEFAULT_PG_SERVER, asyncpg_dsn, scratch_postgres, scratch_sqlite
from core.domain.model import Caller, Kind, Role
from core.domain.states import State
from core.usecases import OrderManagement

CLIENT = Caller("bench-client")
FULFILLER = Caller("bench-fulfiller", frozenset({Role.FULFILLER}))
CREATE_TARGET = 0.60


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench core", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=2000, help="orders per measured run (default 2000)")
    p.add_argument(
        "--lifecycles", type=int, help="orders taken through the whole lifecycle (default: orders / 4)"
    )
    p.add_argument("--concurrency", type=int, default=32, help="concurrent callers (default 32)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument("--sqlite-dir", default=None, help="where the SQLite file goes (default: system temp)")
    p.add_argument("--only", choices=["sqlite", "postgres"], help="measure one backend only")
    p.add_argument(
        "--slices", type=int, default=8, help="raw and core creates alternate in this many slices (default 8)"
    )
    args = p.parse_args(argv)
    args.lifecycles = args.lifecycles or max(1, args.orders // 4)
    if min(args.orders, args.lifecycles, args.concurrency, args.slices) < 1:
        p.error("--orders, --lifecycles, --concurrency and --slices must be at least 1")
    return args


async def _create(om: OrderManagement, i: int) -> str:
    order = await om.create_order(CLIENT, Kind.SERVICE, order_value(i))
    if order.state is not State.ACKNOWLEDGED:
        raise RuntimeError(f"order {order.id} was {order.state.value}, not acknowledged")
    return order.id


async def _lifecycle(om: OrderManagement, i: int) -> None:
    order_id = await _create(om, i)
    await om.start_order(CLIENT, Kind.SERVICE, order_id)
    await om.change_order_item_state(FULFILLER, Kind.SERVICE, order_id, "1", State.COMPLETED)
    done = await om.change_order_item_state(FULFILLER, Kind.SERVICE, order_id, "2", State.COMPLETED)
    if done.state is not State.COMPLETED:
        raise RuntimeError(f"order {order_id} ended {done.state.value}, not completed")


async def bench_sqlite(args: argparse.Namespace, runner: Runner) -> list[Figures]:
    async with scratch_sqlite(args.sqlite_dir) as url:
        store = SqlaOrderStore(url)
        try:
            om = OrderManagement(store)
            create = await runner.measure("sqlite", "create", lambda i: _create(om, i))
            lifecycle = await runner.measure(
                "sqlite", "lifecycle (4 tx)", lambda i: _lifecycle(om, i), count=args.lifecycles
            )
        finally:
            await store.close()
    return [create, lifecycle]


async def bench_postgres(args: argparse.Namespace, runner: Runner) -> list[Figures]:
    async with scratch_postgres(args.pg_url) as url:
        store = SqlaOrderStore(url, pool_size=args.concurrency)
        pool = await asyncpg.create_pool(
            asyncpg_dsn(url), min_size=args.concurrency, max_size=args.concurrency
        )
        try:
            om = OrderManagement(store)
            core_id = await _create(om, 0)
            for write in (create_raw, create_raw_one_statement):
                mismatch = await same_rows(pool, core_id, await write(pool, CLIENT.client_id, order_value(0)))
                if mismatch:
                    raise RuntimeError(mismatch)
            raw, one_statement, create = await runner.interleaved(
                "postgres",
                {
                    "raw asyncpg create": lambda i: create_raw(pool, CLIENT.client_id, order_value(i)),
                    "raw, one statement": lambda i: create_raw_one_statement(
                        pool, CLIENT.client_id, order_value(i)
                    ),
                    "create": lambda i: _create(om, i),
                },
                args.slices,
            )
            create.baseline = raw
            lifecycle = await runner.measure(
                "postgres", "lifecycle (4 tx)", lambda i: _lifecycle(om, i), count=args.lifecycles
            )
        finally:
            await pool.close()
            await store.close()
    return [raw, one_statement, create, lifecycle]


async def run(args: argparse.Namespace) -> list[Figures]:
    runner = Runner(args.orders, args.concurrency)
    rows: list[Figures] = []
    if args.only in (None, "sqlite"):
        rows += await bench_sqlite(args, runner)
    if args.only in (None, "postgres"):
        rows += await bench_postgres(args, runner)
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    rows = asyncio.run(run(args))
    print(
        f"ordergate bench core: {args.orders} creates and {args.lifecycles} lifecycles per run, "
        f"concurrency {args.concurrency}, PostgreSQL creates interleaved with the raw baseline "
        f"in {args.slices} slices; "
        f"{machine_line()}"
    )
    print(table(rows))
    created = [f for f in rows if f.operation == "create" and f.baseline is not None]
    for f in created:
        print(verdict(f, CREATE_TARGET, f"{f.backend} create"))
        for g in rows:
            if g.backend == f.backend and g.operation == "raw, one statement" and g.rate:
                print(f"{f.backend} create: {f.rate / g.rate:.0%} of the one-statement raw baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
