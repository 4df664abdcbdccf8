"""The hub's durable queues: subscriptions, the events owed to them, and their deliveries.

An event's payload is stored once (``hub_events``), however many subscriptions
it is owed to; a delivery row is a slim (subscription, event) pair.  The
fan-out of a relay batch is one transaction of two statements whatever the
number of subscriptions (a statement per event per subscription, in series,
once made every other channel's events wait).  The backoff belongs to the
subscription, so a listener that is down is tried at the pace of its own
failures, whichever of its deliveries is at the head.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql import tables as t
from adapters.sql.engine import naive_utc, utcnow
from core.domain.event_codec import event_from_dict, event_to_dict
from core.domain.events import OrderEvent
from core.domain.model import Kind
from core.ports import Delivery, FailedAttempt, Subscription

# One statement for every (subscription, event) pair of a batch, in the order given (so
# delivery ids follow outbox order per subscription); pairs of subscriptions removed or
# suspended meanwhile are dropped by the join, pairs owed already by the conflict clause.
_OWE_PG = sa.text(
    "INSERT INTO hub_deliveries (subscription_id, event_id, order_id, status, attempts)"
    " SELECT v.s, v.e, v.o, 'pending', 0"
    " FROM unnest(CAST(:subs AS varchar[]), CAST(:events AS varchar[]), CAST(:orders AS varchar[]))"
    " WITH ORDINALITY AS v(s, e, o, n)"
    " JOIN hub_subscriptions h ON h.id = v.s AND h.state = 'active'"
    " ORDER BY v.n ON CONFLICT (subscription_id, event_id) DO NOTHING"
)
# SQLite has no arrays: the pairs travel as one JSON parameter.  ("WHERE true" keeps the
# parser from reading ON CONFLICT as the join's ON.)
_OWE_SQLITE = sa.text(
    "INSERT INTO hub_deliveries (subscription_id, event_id, order_id, status, attempts)"
    " SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'),"
    " json_extract(j.value, '$[2]'), 'pending', 0"
    " FROM json_each(:pairs) AS j"
    " JOIN hub_subscriptions h ON h.id = json_extract(j.value, '$[0]') AND h.state = 'active'"
    " WHERE true ORDER BY j.key ON CONFLICT (subscription_id, event_id) DO NOTHING"
)


def _subscription(m: Any, id_key: str = "id") -> Subscription:
    return Subscription(
        id=m[id_key],
        callback=m["callback"],
        client_id=m["client_id"],
        kind=Kind(m["kind"]) if m["kind"] else None,
        query=m["query"],
        state=m["state"],
        state_reason=m["state_reason"],
        failures=m["failures"],
        secret=m["secret"],
    )


class SqlaSubscriptions:
    engine: AsyncEngine

    async def _client_lock(self, conn: AsyncConnection, client_id: str) -> None:
        """Serialize one client's registrations, so two at once cannot both pass the cap
        (SQLite transactions take the write lock as they begin already)."""
        if conn.dialect.name == "postgresql":
            await conn.execute(
                sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("hub-subscriptions:" + client_id)))
            )

    async def add_subscription(self, subscription: Subscription, max_per_client: int) -> bool:
        s = t.hub_subscriptions
        async with self.engine.begin() as conn:
            await self._client_lock(conn, subscription.client_id)
            held = await conn.execute(
                sa.select(sa.func.count()).select_from(s).where(s.c.client_id == subscription.client_id)
            )
            if held.scalar_one() >= max_per_client:
                return False
            await conn.execute(
                s.insert().values(
                    id=subscription.id,
                    callback=subscription.callback,
                    client_id=subscription.client_id,
                    kind=subscription.kind.value if subscription.kind else None,
                    query=subscription.query,
                    created_at=utcnow(),
                    state="active",
                    failures=0,
                    secret=subscription.secret,
                )
            )
        return True

    async def remove_subscription(self, subscription_id: str, client_id: str | None) -> bool:
        stmt = t.hub_subscriptions.delete().where(t.hub_subscriptions.c.id == subscription_id)
        if client_id is not None:
            stmt = stmt.where(t.hub_subscriptions.c.client_id == client_id)
        async with self.engine.begin() as conn:  # deliveries go with it (ON DELETE CASCADE)
            return (await conn.execute(stmt)).rowcount == 1

    async def get_subscription(self, subscription_id: str) -> Subscription | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    sa.select(t.hub_subscriptions).where(t.hub_subscriptions.c.id == subscription_id)
                )
            ).first()
        return None if row is None else _subscription(row._mapping)

    async def subscriptions(self, kind: Kind | None = None) -> list[Subscription]:
        stmt = sa.select(t.hub_subscriptions).order_by(t.hub_subscriptions.c.created_at)
        if kind is not None:
            stmt = stmt.where(
                sa.or_(t.hub_subscriptions.c.kind == kind.value, t.hub_subscriptions.c.kind.is_(None))
            )
        async with self.engine.connect() as conn:
            return [_subscription(r._mapping) for r in await conn.execute(stmt)]


def _events_insert(dialect: str, events: Sequence[OrderEvent]) -> sa.Insert:
    rows = [{"event_id": e.event_id, "payload": event_to_dict(e), "needed_at": utcnow()} for e in events]
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(t.hub_events).values(rows)
    # owed again (a batch published twice): needed again, which keeps retention off it
    return insert.on_conflict_do_update(
        index_elements=[t.hub_events.c.event_id], set_={"needed_at": insert.excluded.needed_at}
    )


def _owe(dialect: str, owed: Sequence[tuple[str, str, str]]) -> tuple[sa.TextClause, dict[str, Any]]:
    if dialect == "postgresql":
        subs, events, orders = (list(column) for column in zip(*owed, strict=True))
        return _OWE_PG, {"subs": subs, "events": events, "orders": orders}
    return _OWE_SQLITE, {"pairs": json.dumps(owed)}


class SqlaDeliveryQueue:
    engine: AsyncEngine

    async def enqueue(self, events: Sequence[OrderEvent], owed: Sequence[tuple[str, str]]) -> None:
        if not owed:
            return
        order_of = {e.event_id: e.order_id for e in events}
        wanted = {event_id for _, event_id in owed}
        triples = [(s, e, order_of[e]) for s, e in owed]
        dialect = self.engine.dialect.name
        statement, params = _owe(dialect, triples)
        for last_try in (False, True):
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(_events_insert(dialect, [e for e in events if e.event_id in wanted]))
                    await conn.execute(statement, params)
                return
            except sa_exc.IntegrityError:
                # a subscription removed between the join and the insert: the next try's
                # join leaves it out
                if last_try:
                    raise

    async def due(
        self, now: datetime, limit: int, busy: Collection[str] = (), busy_clients: Collection[str] = ()
    ) -> list[Delivery]:
        d, s, e = t.hub_deliveries, t.hub_subscriptions, t.hub_events
        head_of = d.alias("head")
        head = (
            sa.select(sa.func.min(head_of.c.id))
            .where(head_of.c.subscription_id == s.c.id, head_of.c.status == "pending")
            .scalar_subquery()
        )
        stmt = (
            sa.select(d, s, e.c.payload)
            .select_from(s.join(d, d.c.id == head).outerjoin(e, e.c.event_id == d.c.event_id))
            .where(s.c.state == "active", sa.or_(s.c.retry_at.is_(None), s.c.retry_at <= naive_utc(now)))
            .order_by(d.c.id)
            .limit(limit)
        )
        if busy:
            stmt = stmt.where(s.c.id.not_in(list(busy)))
        if busy_clients:
            stmt = stmt.where(s.c.client_id.not_in(list(busy_clients)))
        async with self.engine.connect() as conn:
            rows = (await conn.execute(stmt)).all()
        return [self._delivery(r._mapping, r._mapping[e.c.payload]) for r in rows]

    @staticmethod
    def _delivery(m: Any, payload: Any = None) -> Delivery:
        d, s = t.hub_deliveries.c, t.hub_subscriptions.c
        return Delivery(
            id=m[d.id],
            subscription=_subscription({c.name: m[c] for c in s}),
            event_id=m[d.event_id],
            order_id=m[d.order_id],
            attempts=m[d.attempts],
            status=m[d.status],
            last_error=m[d.last_error],
            event=None if payload is None else event_from_dict(payload),
        )

    async def delivered(self, delivery: Delivery) -> None:
        d, s = t.hub_deliveries, t.hub_subscriptions
        async with self.engine.begin() as conn:
            await conn.execute(
                d.update()
                .where(d.c.id == delivery.id)
                .values(status="delivered", attempts=d.c.attempts + 1, last_error=None, finished_at=utcnow())
            )
            await conn.execute(
                s.update().where(s.c.id == delivery.subscription.id).values(failures=0, retry_at=None)
            )

    async def attempt_failed(self, delivery: Delivery, outcome: FailedAttempt) -> None:
        d, s = t.hub_deliveries, t.hub_subscriptions
        done: dict[str, object] = {"status": "failed", "finished_at": utcnow()} if outcome.give_up else {}
        dead: dict[str, object] = {}
        if outcome.suspend is not None:
            dead = {
                "state": "suspended",
                "state_reason": outcome.suspend[:2000],
                "state_changed_at": utcnow(),
            }
        async with self.engine.begin() as conn:
            await conn.execute(
                d.update()
                .where(d.c.id == delivery.id)
                .values(attempts=d.c.attempts + 1, last_error=outcome.error[:2000], **done)
            )
            await conn.execute(
                s.update()
                .where(s.c.id == delivery.subscription.id)
                .values(failures=s.c.failures + 1, retry_at=naive_utc(outcome.retry_at), **dead)
            )

    async def delivery_counts(self, subscription_id: str) -> dict[str, int]:
        d = t.hub_deliveries
        stmt = (
            sa.select(d.c.status, sa.func.count())
            .where(d.c.subscription_id == subscription_id)
            .group_by(d.c.status)
        )
        async with self.engine.connect() as conn:
            return {str(status): int(count) for status, count in (await conn.execute(stmt)).all()}

    async def deliveries(
        self, subscription_id: str, status: str | None = None, limit: int = 1000
    ) -> list[Delivery]:
        d, s = t.hub_deliveries, t.hub_subscriptions
        stmt = (
            sa.select(d, s)
            .join(s, s.c.id == d.c.subscription_id)
            .where(d.c.subscription_id == subscription_id)
            .order_by(d.c.id)
            .limit(limit)
        )
        if status is not None:
            stmt = stmt.where(d.c.status == status)
        async with self.engine.connect() as conn:
            return [self._delivery(r._mapping) for r in await conn.execute(stmt)]
