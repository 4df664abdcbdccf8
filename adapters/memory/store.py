"""A whole order store in a dict, with the same contract as the SQL adapter.

Units of work stage their writes and apply them on commit; an asyncio lock
makes commits atomic, so optimistic concurrency behaves as it does on a
database.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any, Self

from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.domain.cancel_tasks import CancelTaskPage, CancelTaskQuery, matching, tasks
from core.domain.errors import DuplicateKey, ResyncRequired
from core.domain.events import OrderEvent
from core.domain.model import Order
from core.domain.query import OrderQuery, matches, select, sort_documents
from core.domain.report import ReportRow, ReportScope, report_rows
from core.ports import AlreadyRecorded, QueryPage


class MemoryOrderStore:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, object]] = {}
        self.outbox: list[OrderEvent] = []  # owed to the publishers, in outbox order
        self.last_seq = 0
        self.requests: dict[str, dict[str, Any]] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._lock = asyncio.Lock()

    def __call__(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    # -- OutboxFeed
    async def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        now = time.monotonic()
        current = self._leases.get(name)
        if current is None or current[0] == holder or current[1] < now:
            self._leases[name] = (holder, now + seconds)
            return True
        return False

    async def release_lease(self, name: str, holder: str) -> None:
        if name in self._leases and self._leases[name][0] == holder:
            del self._leases[name]

    async def unpublished(self, limit: int) -> list[OrderEvent]:
        return self.outbox[:limit]

    async def remove_published(self, seqs: Sequence[int]) -> None:
        gone = set(seqs)
        self.outbox = [e for e in self.outbox if e.seq not in gone]

    # -- ProvisioningReportSource: the core's reference computation over the committed orders
    async def provisioning_figures(self, scope: ReportScope) -> list[ReportRow]:
        return report_rows(self.documents.values(), scope)


class _Repo:
    def __init__(self, store: MemoryOrderStore) -> None:
        self.store = store
        self.staged: dict[str, tuple[dict[str, object] | None, int | None]] = {}

    async def add(self, order: Order) -> None:
        if order.id in self.store.documents or order.id in self.staged:
            raise DuplicateKey(f"an order with id {order.id!r} exists", order.id)
        self.staged[order.id] = (order_to_dict(order), None)

    async def get(self, order_id: str) -> Order | None:
        d = self.store.documents.get(order_id)
        return None if d is None else order_from_dict(copy.deepcopy(d))

    async def save(self, order: Order, read_version: int) -> None:
        self.staged[order.id] = (order_to_dict(order), read_version)

    async def remove(self, order: Order, read_version: int) -> None:
        self.staged[order.id] = (None, read_version)

    async def query(self, query: OrderQuery, client_id: str | None) -> QueryPage:
        docs = [
            d
            for d in self.store.documents.values()
            if (query.kind is None or d["kind"] == query.kind.value)
            and (client_id is None or d["clientId"] == client_id)
            and all(matches(d, c) for c in query.criteria)
        ]
        sort_documents(docs, query.sort)
        end = None if query.limit is None else query.offset + query.limit
        page = docs[query.offset : end]
        return QueryPage([order_from_dict(copy.deepcopy(select(d, None))) for d in page], len(docs))

    async def cancel_tasks(
        self, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
    ) -> CancelTaskPage:
        """Read off the committed orders' histories (the reference the SQL rows must equal)."""
        found = [
            task
            for d in self.store.documents.values()
            if client_id is None or d["clientId"] == client_id
            for task in tasks(order_from_dict(copy.deepcopy(d)))
        ]
        return matching(found, query, order_ids)


class _Outbox:
    def __init__(self) -> None:
        self.staged: list[OrderEvent] = []

    async def append(self, events: Sequence[OrderEvent]) -> None:
        self.staged.extend(events)


class _RequestLog:
    def __init__(self, store: MemoryOrderStore) -> None:
        self.store = store
        self.staged: dict[str, dict[str, Any]] = {}

    async def recall(self, key: str) -> dict[str, Any] | None:
        return self.store.requests.get(key)

    async def remember(self, key: str, result: dict[str, Any]) -> None:
        self.staged[key] = result


class MemoryUnitOfWork:
    def __init__(self, store: MemoryOrderStore) -> None:
        self._store = store
        self.orders = _Repo(store)
        self.outbox = _Outbox()
        self.requests = _RequestLog(store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.orders.staged.clear()
        self.outbox.staged.clear()

    async def commit(self) -> None:
        async with self._store._lock:
            docs = self._store.documents
            for order_id, (_doc, read) in self.orders.staged.items():
                current = docs.get(order_id)
                if read is None and current is not None:
                    raise DuplicateKey(f"an order with id {order_id!r} exists", order_id)
                if read is not None and (current is None or current["version"] != read):
                    raise ResyncRequired(f"order {order_id!r} changed since it was read")
            for key in self.requests.staged:
                if key in self._store.requests:
                    raise AlreadyRecorded(key)
            for order_id, (doc, _read) in self.orders.staged.items():
                if doc is None:
                    docs.pop(order_id, None)
                else:
                    docs[order_id] = doc
            self._store.requests.update(self.requests.staged)
            for event in self.outbox.staged:
                self._store.last_seq += 1
                self._store.outbox.append(replace(event, seq=self._store.last_seq))
        self.orders.staged.clear()
        self.outbox.staged.clear()
