"""Callers, order values and store probes the core's tests share.

The probes read a store only through the ports (a unit of work, the outbox
feed), so one test body runs on the in-memory fake and on both SQL stores.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from adapters.sql import tables as t
from core.document.render import order_to_dict
from core.domain.event_codec import event_from_dict
from core.domain.events import OrderEvent
from core.domain.model import Caller, Role
from core.domain.query import OrderQuery

ALICE = Caller("alice")
BOB = Caller("bob")
NOC = Caller("noc", frozenset({Role.FULFILLER}))
ADMIN = Caller("admin", frozenset({Role.ADMIN, Role.CLIENT, Role.FULFILLER}))


def item(item_id: str, spec: str = "fibre-100", action: str = "add", **extra: Any) -> dict[str, Any]:
    return {"id": item_id, "action": action, "entity": {"specification": {"id": spec}}, **extra}


def order_value(*item_ids: str, **fields: Any) -> dict[str, Any]:
    """A feasible order value with the given items (two by default)."""
    return {"items": [item(i) for i in item_ids or ("i1", "i2")], **fields}


async def stored(store: Any, order_id: str) -> dict[str, Any] | None:
    """The order as stored (with history), or None."""
    async with store() as uow:
        order = await uow.orders.get(order_id)
    return None if order is None else order_to_dict(order)


async def outbox(store: Any, order_id: str | None = None) -> list[OrderEvent]:
    """Events in the outbox (of one order, when given), in outbox order.

    Nothing in these tests publishes, so the unpublished events are all of
    them.  On SQL the probe reads just the order's rows: it runs after every
    step of the big tables."""
    if order_id is not None and hasattr(store, "engine"):
        ob = t.outbox
        async with store.engine.connect() as conn:
            rows = await conn.execute(
                sa.select(ob.c.seq, ob.c.payload).where(ob.c.order_id == order_id).order_by(ob.c.seq)
            )
            return [event_from_dict(r.payload, seq=r.seq) for r in rows]
    events: list[OrderEvent] = await store.unpublished(1_000_000)
    return [e for e in events if order_id is None or e.order_id == order_id]


async def order_count(store: Any) -> int:
    async with store() as uow:
        return (await uow.orders.query(OrderQuery(limit=0), None)).total
