"""The jeopardy watch: one alert per open order that passes its completion date.

One watch across all gateway processes holds the ``jeopardy`` lease (like the
outbox relay); each round pages through the open orders whose expected (else
requested) completion date passed and that have no alert yet, and raises one
on each, in its own transaction with its event.  Raising is idempotent (an
order with an alert is left alone), so a round cut short, or run by two
holders around a lease hand-over, raises no alert twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from core.document.render import iso
from core.domain.query import Criterion, Op, OrderQuery, SortKey
from core.domain.states import State
from core.domain.tracking import JEOPARDY_NAME, in_jeopardy, raise_jeopardy
from core.ports import Lease, UnitOfWorkFactory

log = logging.getLogger(__name__)
_OPEN = tuple(s.value for s in State if s.is_open)


class JeopardyWatch:
    LEASE = "jeopardy"

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        leases: Lease,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        interval_seconds: float = 30.0,
        lease_seconds: float = 90.0,
        page: int = 100,
    ) -> None:
        self._uow = uow
        self._leases = leases
        self._now = clock
        self._interval = interval_seconds
        self._lease = lease_seconds
        self._page = page
        self.holder = f"jeopardy-{uuid.uuid4()}"
        self._stopping = False
        self._wake = asyncio.Event()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _late(self, path: str, now: datetime, offset: int) -> OrderQuery:
        criteria = (
            Criterion("state", Op.EQ, _OPEN),
            Criterion(path, Op.LT, (iso(now) or "",)),
            Criterion("jeopardyAlerts.name", Op.NE, (JEOPARDY_NAME,)),
        )
        return OrderQuery(criteria=criteria, sort=(SortKey("orderDate"), SortKey("id")), offset=offset, limit=self._page)

    async def run_once(self) -> int:
        """One round if this watch holds the lease; returns how many alerts it raised."""
        if not await self._leases.acquire_lease(self.LEASE, self.holder, self._lease):
            return 0
        now, raised = self._now(), 0
        for path in ("expectedCompletionDate", "requestedCompletionDate"):
            offset = 0
            while not self._stopping:
                async with self._uow() as uow:
                    page = await uow.orders.query(self._late(path, now, offset), None)
                for candidate in page.orders:
                    raised += await self._raise(candidate.id, now)
                offset += sum(1 for o in page.orders if not in_jeopardy(o, now))  # the rest drop out
                if len(page.orders) < self._page:
                    break
        return raised

    async def _raise(self, order_id: str, now: datetime) -> int:
        async with self._uow() as uow:
            order = await uow.orders.get(order_id)
            if order is None or not raise_jeopardy(order, now):
                return 0
            await uow.orders.save(order, order.version - 1)
            await uow.outbox.append(order.take_events())
            await uow.commit()
        return 1

    async def run_forever(self) -> None:
        try:
            while not self._stopping:
                self._wake.clear()  # before the round: a stop asked during it is not lost
                try:
                    await self.run_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("jeopardy watch: round failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._interval)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self._leases.release_lease(self.LEASE, self.holder))
