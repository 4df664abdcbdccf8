"""A realistic order book, written straight into PostgreSQL for ``ordergate bench query``.

Each order is one of the four official sample shapes (``bench/data``: TM
Forum's TMF622, TMF641 and TMF652 samples and this project's TMF697 one,
reduced to their create definitions), created once through the real REST
parsing and the core, so every stored document has the form the gateway
writes.  Each generated order varies that document: its id, client (2,000
clients, a few of them large, as an operator's partners are), order date
(over two years), state (most orders closed, as in a real book) with item
states that agree, specification ids (60 per kind, a few popular) and a
characteristic value.  Rows go in with ``COPY`` from two processes, with the
indexes dropped before and built after: minutes for a million orders.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

DATA = Path(__file__).with_name("data")
SAMPLES = {
    "productOrder": "TMF622-ProductOrder",
    "serviceOrder": "TMF641-ServiceOrder",
    "resourceOrder": "TMF652-ResourceOrder",
    "workOrder": "TMF697-WorkOrder",
}
KIND_SHARE = {"productOrder": 55, "serviceOrder": 25, "resourceOrder": 12, "workOrder": 8}
# a book of two years: most orders closed, a working set open
STATE_SHARE = {
    "completed": 55,
    "cancelled": 8,
    "failed": 4,
    "partial": 3,
    "rejected": 2,
    "inProgress": 12,
    "acknowledged": 8,
    "held": 3,
    "pending": 3,
    "assessingCancellation": 1,
    "pendingCancellation": 1,
}
ITEM_STATE = {"partial": ("completed", "failed"), "pendingCancellation": ("inProgress",)}
ITEM_STATE |= {s: (s,) for s in ("completed", "cancelled", "failed", "rejected", "acknowledged", "held")}
ITEM_STATE |= {"inProgress": ("inProgress", "completed"), "pending": ("pending", "inProgress")}
ITEM_STATE |= {"assessingCancellation": ("inProgress",)}
OPEN = frozenset(
    {"inProgress", "acknowledged", "held", "pending", "assessingCancellation", "pendingCancellation"}
)
CLIENTS = 2000
SPECIFICATIONS = 60
DAYS = 730
NOW = datetime(2026, 12, 1, tzinfo=UTC)
COLUMNS = (
    "id", "kind", "client_id", "state", "order_type", "external_id", "priority", "order_date",
    "requested_start_date", "requested_completion_date", "completion_date", "version", "document",
)  # fmt: skip


def client_of(n: int) -> str:
    return f"client-{n:04d}"


def specification_of(kind: str, n: int) -> str:
    return f"{kind}-spec-{n:02d}"


def sample_body(kind: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"{SAMPLES[kind]}.create.json").read_text(encoding="utf-8"))
    return body


async def templates() -> dict[str, dict[str, Any]]:
    """Each kind's sample as the gateway stores it (created through REST parsing and the core)."""
    from adapters.memory import MemoryOrderStore
    from adapters.rest.resources import create_value
    from adapters.rest.vocabulary import KINDS
    from core.document.render import order_to_dict
    from core.domain.model import Caller, Kind
    from core.usecases import OrderManagement

    om = OrderManagement(MemoryOrderStore())
    out = {}
    for kind in SAMPLES:
        order = await om.create_order(
            Caller("template"), Kind(kind), create_value(KINDS[Kind(kind)], sample_body(kind))
        )
        out[kind] = order_to_dict(order)
    return out


def _skewed(rng: random.Random, n: int) -> int:
    """0..n-1, the low numbers much more often (a few large clients, a few popular offers)."""
    return min(n - 1, int(n * rng.random() ** 3))


def _weighted(rng: random.Random, shares: dict[str, int]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _vary_items(rng: random.Random, kind: str, items: list[dict[str, Any]], state: str) -> None:
    for item in items:
        item["state"] = rng.choice(ITEM_STATE[state])
        entity = item.setdefault("entity", {})
        spec = entity.get("specification")
        if isinstance(spec, dict):
            spec["id"] = specification_of(kind, _skewed(rng, SPECIFICATIONS))
        for characteristic in entity.get("characteristics") or ():
            if isinstance(characteristic.get("value"), str):
                characteristic["value"] = f"{characteristic['name']}-{rng.randrange(20)}"


def order_row(kind: str, template: bytes, i: int) -> tuple[Any, ...]:
    """Order ``i`` of the book: the kind's stored sample, varied (deterministic in ``i``)."""
    rng = random.Random(i)
    doc = orjson.loads(template)
    order_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    client = client_of(_skewed(rng, CLIENTS))
    ordered = NOW - timedelta(seconds=rng.randrange(DAYS * 86400))
    state = _weighted(rng, STATE_SHARE)
    completed = (
        ordered + timedelta(hours=rng.randrange(1, 240))
        if state in ("completed", "partial", "failed")
        else None
    )
    _vary_items(rng, kind, doc.get("items") or [], state)
    doc.update(id=order_id, clientId=client, state=state, version=rng.randrange(1, 6))
    # open orders are due ahead (the late ones were alerted already); closed ones two weeks on
    due = NOW + timedelta(days=rng.randrange(1, 60)) if state in OPEN else ordered + timedelta(days=14)
    doc.update(orderDate=_stamp(ordered), externalId=f"EXT-{i}", requestedCompletionDate=_stamp(due))
    doc.pop("expectedCompletionDate", None)
    if completed is not None:
        doc["completionDate"] = _stamp(completed)
    history = doc.get("history") or []
    for entry in history:
        entry["at"] = _stamp(ordered)
    if state != "acknowledged":
        last = completed or ordered + timedelta(hours=rng.randrange(1, 100))
        history.append({"at": _stamp(last), "actor": client, "fromState": "acknowledged", "toState": state})
    doc["history"] = history
    naive = ordered.replace(tzinfo=None)
    return (
        order_id, kind, client, state, doc["orderType"], doc["externalId"], doc.get("priority"), naive,
        naive + timedelta(days=1), due.replace(tzinfo=None), completed and completed.replace(tzinfo=None),
        doc["version"], orjson.dumps(doc).decode(),
    )  # fmt: skip


def kind_of(i: int) -> str:
    return _weighted(random.Random(-i - 1), KIND_SHARE)


def rows(shapes: dict[str, bytes], start: int, stop: int) -> Iterator[tuple[Any, ...]]:
    for i in range(start, stop):
        kind = kind_of(i)
        yield order_row(kind, shapes[kind], i)


async def _copy_range(dsn: str, shapes: dict[str, bytes], start: int, stop: int, batch: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for first in range(start, stop, batch):
            chunk = list(rows(shapes, first, min(stop, first + batch)))
            await conn.copy_records_to_table("orders", records=chunk, columns=COLUMNS)
    finally:
        await conn.close()


async def _build(dsn: str, definitions: list[str]) -> None:
    """Indexes built one after the other on a connection of their own (two such run at once)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for definition in definitions:
            await conn.execute(definition)
    finally:
        await conn.close()


def _load_part(dsn: str, shapes: dict[str, bytes], start: int, stop: int) -> int:
    asyncio.run(_copy_range(dsn, shapes, start, stop, 5000))
    return stop - start


async def load(dsn: str, orders: int, processes: int = 2) -> None:
    """``orders`` orders into the (empty, migrated) database at ``dsn``; indexes rebuilt, analysed."""
    shapes = {kind: orjson.dumps(doc) for kind, doc in (await templates()).items()}
    conn = await asyncpg.connect(dsn)
    try:
        indexes = await conn.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'orders' AND indexname <> 'orders_pkey'"
        )
        for name, _ in indexes:
            await conn.execute(f'DROP INDEX "{name}"')
        loop = asyncio.get_running_loop()
        step = -(-orders // processes)
        with ProcessPoolExecutor(processes) as pool:
            parts = [
                loop.run_in_executor(pool, _load_part, dsn, shapes, s, min(orders, s + step))
                for s in range(0, orders, step)
            ]
            await asyncio.gather(*parts)
        await asyncio.gather(*(_build(dsn, [d for _, d in indexes[n::2]]) for n in range(2)))
        await conn.execute("VACUUM ANALYZE orders")
        # as docs/architecture.md recommends for the gateway's database: its statements are short,
        # and compiling one for a large plan cost more than running it
        database = await conn.fetchval("SELECT current_database()")
        await conn.execute(f'ALTER DATABASE "{database}" SET jit = off')
    finally:
        await conn.close()
