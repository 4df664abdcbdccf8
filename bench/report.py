"""``python -m bench.report``: the provisioning report over a large order book on PostgreSQL.

Loads ``--orders`` orders (default 100,000) straight into a fresh database
with ``COPY`` -- rows as the store writes them: the indexed columns and the
canonical document, of every kind, state and age over 90 days, one to four
items each (some inside others), two hundred clients -- then times
``ReportProvisioning.execute`` (one SQL statement) for a few windows and
callers, each ``--repeat`` times after a warm-up run.  The database is
dropped at the end.  Figures are for people to read (docs/benchmarks.md);
no test asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from adapters.sql import SqlaOrderStore
from adapters.sql.report import POSTGRES_SETTINGS, statement
from bench.measure import machine_line
from bench.scratch import DEFAULT_PG_SERVER, asyncpg_dsn, scratch_postgres
from core.document.render import iso
from core.domain.model import Caller, Kind, Role
from core.domain.report import ReportScope
from core.usecases.reporting import ProvisioningReportRequest, ReportProvisioning

ADMIN = Caller("bench-admin", frozenset({Role.ADMIN}))
NOW = datetime.now(UTC).replace(microsecond=0)
DAYS = 90
KIND_SHARE = {Kind.PRODUCT: 25, Kind.SERVICE: 35, Kind.RESOURCE: 30, Kind.WORK: 10}
STATES = {
    "completed": 60,
    "partial": 3,
    "failed": 7,
    "rejected": 2,
    "cancelled": 8,
    "acknowledged": 5,
    "inProgress": 11,
    "pending": 2,
    "held": 2,
}
COLUMNS = [
    "id",
    "kind",
    "client_id",
    "state",
    "order_type",
    "external_id",
    "priority",
    "order_date",
    "requested_start_date",
    "requested_completion_date",
    "completion_date",
    "version",
    "document",
]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=100_000, help="orders loaded (default 100000)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs of each report (default 5)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument("--explain", action="store_true", help="print the plan of the whole-book report")
    args = p.parse_args(argv)
    if min(args.orders, args.repeat) < 1:
        p.error("--orders and --repeat must be at least 1")
    return args


def _item(rng: random.Random, kind: Kind, item_id: str, state: str, depth: int = 0) -> dict[str, Any]:
    action = rng.choices(["add", "modify", "delete"], [60, 25, 15])[0] if kind is Kind.RESOURCE else "add"
    entity: dict[str, Any] = {"specification": {"id": f"{kind.entity}-spec-{rng.randrange(12)}"}}
    if action != "add":
        entity["id"] = f"{kind.entity}-{rng.randrange(10**6)}"
    item: dict[str, Any] = {"id": item_id, "action": action, "state": state, "quantity": 1, "entity": entity}
    if kind is Kind.PRODUCT and rng.random() < 0.3:
        item["productOffering"] = {"id": f"offering-{rng.randrange(8)}"}
        del entity["specification"]
    if depth == 0 and rng.random() < 0.05:
        item["items"] = [_item(rng, kind, f"{item_id}.1", state, 1)]
    return item


def _row(rng: random.Random, n: int) -> tuple[Any, ...]:
    kind = rng.choices(list(KIND_SHARE), list(KIND_SHARE.values()))[0]
    state = rng.choices(list(STATES), list(STATES.values()))[0]
    ordered = NOW - timedelta(seconds=rng.uniform(0, DAYS * 86400))
    item_state = {"partial": "completed", "rejected": "rejected"}.get(state, state)
    items = [_item(rng, kind, str(i), item_state) for i in range(1, rng.randint(1, 4) + 1)]
    requested = ordered + timedelta(days=rng.choice([3, 5, 10])) if rng.random() < 0.7 else None
    done = None
    if state in ("completed", "partial", "failed"):
        done = min(NOW, ordered + timedelta(hours=rng.lognormvariate(3.5, 1.0)))
    client = f"client-{rng.randrange(200)}"
    doc: dict[str, Any] = {
        "id": f"bench-{n}",
        "kind": kind.value,
        "clientId": client,
        "orderType": kind.base_type,
        "state": state,
        "version": 4,
        "items": items,
        "orderDate": iso(ordered),
        "history": [{"at": iso(ordered), "actor": client, "toState": "acknowledged", "operation": "create"}],
    }
    if requested is not None:
        doc["requestedCompletionDate"] = iso(requested)
    if state in ("inProgress", "pending", "held") and rng.random() < 0.4:
        doc["expectedCompletionDate"] = iso(ordered + timedelta(days=rng.choice([1, 4, 20])))
    if done is not None:
        doc["completionDate"] = iso(done)
    naive = [None if d is None else d.replace(tzinfo=None) for d in (ordered, requested, done)]
    return (
        doc["id"],
        kind.value,
        client,
        state,
        kind.base_type,
        None,
        None,
        naive[0],
        None,
        *naive[1:],
        4,
        json.dumps(doc),
    )


def _rows(count: int) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(17)
    for n in range(count):
        yield _row(rng, n)


async def load(url: str, count: int) -> float:
    """Every order in with COPY, then ANALYZE; the seconds it took."""
    start = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = _rows(count)
        while batch := [r for _, r in zip(range(10_000), rows, strict=False)]:
            await conn.copy_records_to_table("orders", records=batch, columns=COLUMNS)
        await conn.execute("ANALYZE orders")
    finally:
        await conn.close()
    return time.perf_counter() - start


async def _time(
    report: ReportProvisioning, caller: Caller, request: ProvisioningReportRequest, repeat: int
) -> tuple[list[float], int]:
    await report.execute(caller, request)  # warm-up
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await report.execute(caller, request)
        seconds.append(time.perf_counter() - start)
    counted = sum(k.figures.ordered for k in result.kinds)
    return seconds, counted


def _cases() -> list[tuple[str, Caller, ProvisioningReportRequest]]:
    everything = ProvisioningReportRequest(None, NOW - timedelta(days=DAYS + 1), NOW + timedelta(seconds=1))
    return [
        (
            "admin, every kind, last 30 days",
            ADMIN,
            ProvisioningReportRequest(None, NOW - timedelta(days=30), NOW),
        ),
        ("admin, every kind, 90 days (all)", ADMIN, everything),
        (
            "admin, resource orders, 90 days",
            ADMIN,
            ProvisioningReportRequest(Kind.RESOURCE, everything.start, everything.end),
        ),
        ("one client, every kind, 90 days", Caller("client-7"), everything),
    ]


async def _explain(store: SqlaOrderStore) -> str:
    scope = ReportScope(tuple(Kind), NOW - timedelta(days=DAYS + 1), NOW + timedelta(seconds=1), NOW)
    sql, params = statement(scope, sqlite=False)
    conn = await asyncpg.connect(asyncpg_dsn(store.url))
    try:
        # the named parameters as asyncpg's numbered ones, for EXPLAIN
        for n, name in enumerate(params, start=1):
            sql = sql.replace(f":{name}", f"${n}")
        async with conn.transaction():  # with the settings the store runs the statement with
            for setting in POSTGRES_SETTINGS:
                await conn.execute(setting)
            plan = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params.values())
    finally:
        await conn.close()
    return "\n".join(r[0] for r in plan)


async def run(args: argparse.Namespace) -> list[str]:
    lines = []
    async with scratch_postgres(args.pg_url, "report") as url:
        loaded = await load(url, args.orders)
        lines.append(f"loaded {args.orders} orders in {loaded:.1f} s (COPY, then ANALYZE)")
        store = SqlaOrderStore(url, native=False)
        try:
            report = ReportProvisioning(store)
            header = f"{'report':<36} {'orders':>8} {'median ms':>10} {'min ms':>8} {'max ms':>8}"
            lines += [header, "-" * len(header)]
            for label, caller, request in _cases():
                seconds, counted = await _time(report, caller, request, args.repeat)
                ms = [s * 1000 for s in seconds]
                lines.append(
                    f"{label:<36} {counted:>8} {statistics.median(ms):>10.0f} {min(ms):>8.0f} {max(ms):>8.0f}"
                )
            if args.explain:
                lines += ["", await _explain(store)]
        finally:
            await store.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    lines = asyncio.run(run(args))
    print(f"ordergate bench report: {args.orders} orders, {args.repeat} timed runs each; {machine_line()}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
