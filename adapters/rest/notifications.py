"""Hub notifications: which subscription gets which event, and the TMF event envelope.

``HubPublisher`` is an outbox ``EventPublisher``: for each committed event it
owes one delivery (durably, idempotent per subscription and event id) to
every subscription that may see the order and whose ``query`` matches.  The
dispatcher then POSTs the deliveries; nothing here talks HTTP.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.rest.cancel import event_task
from adapters.rest.filters import EventFilter, event_filter, top_level_fields
from adapters.rest.mapping import order_to_tmf
from adapters.rest.vocabulary import KINDS, TmfKind
from core.document.render import iso
from core.domain.errors import OrderError
from core.domain.events import EventType, OrderEvent
from core.domain.model import Kind
from core.domain.query import matches
from core.ports import DeliveryQueue, Subscription, SubscriptionRepository

log = logging.getLogger(__name__)


class HubStore(SubscriptionRepository, DeliveryQueue, Protocol):
    """Where subscriptions and their deliveries live (the SQL store)."""


@dataclass(frozen=True)
class StoredQuery:
    """What the hub keeps in a subscription's ``query``: the client's query and its scope.

    ``all_orders`` records that the subscriber could see every client's orders
    when it subscribed (fulfiller, admin); otherwise only its own are sent.
    """

    query: str | None
    all_orders: bool

    def dump(self) -> str:
        return json.dumps({"query": self.query, "allOrders": self.all_orders})

    @classmethod
    def load(cls, raw: str | None) -> StoredQuery:
        doc = json.loads(raw) if raw else {}
        return cls(doc.get("query"), bool(doc.get("allOrders")))


@dataclass(frozen=True)
class _Wanting:
    """A subscription with its query parsed once a batch, not once an event."""

    subscription: Subscription
    tk: TmfKind
    all_orders: bool
    wanted: EventFilter

    def wants(self, event: OrderEvent) -> bool:
        try:
            return self._wants(event)
        except (OrderError, ValueError):  # validated at subscription; kept safe anyway
            log.warning("hub subscription %s: query not applicable; event skipped", self.subscription.id)
            return False

    def _wants(self, event: OrderEvent) -> bool:
        if not self.all_orders and self.subscription.client_id != event.client_id:
            return False
        if self.wanted.event_types and self.tk.event_name(event.type) not in self.wanted.event_types:
            return False
        return all(matches(event.order, c) for c in self.wanted.criteria)


def _parsed(tk: TmfKind, subscription: Subscription) -> _Wanting:
    stored = StoredQuery.load(subscription.query)
    return _Wanting(subscription, tk, stored.all_orders, event_filter(tk, stored.query))


def wants(tk: TmfKind, subscription: Subscription, event: OrderEvent) -> bool:
    return _parsed(tk, subscription).wants(event)


class HubPublisher:
    """Owes each event to every active subscription that wants it.

    A batch costs the store one transaction whatever its fan-out: the
    subscriptions are read once per kind, their queries parsed once, and every
    (subscription, event) pair is owed in one statement.  Suspended
    subscriptions are owed nothing.
    """

    def __init__(self, store: HubStore, on_enqueued: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._on_enqueued = on_enqueued

    async def _wanting(self, kind: Kind) -> list[_Wanting]:
        tk = KINDS[kind]
        out = []
        for subscription in await self._store.subscriptions(kind):
            if subscription.state != "active":
                continue
            try:
                out.append(_parsed(tk, subscription))
            except (OrderError, ValueError):  # validated at subscription; kept safe anyway
                log.warning("hub subscription %s has an unreadable query; skipped", subscription.id)
        return out

    async def publish(self, events: Sequence[OrderEvent]) -> None:
        by_kind: dict[Kind, list[_Wanting]] = {}
        owed: list[tuple[str, str]] = []
        for event in events:
            kind = Kind(event.kind)
            if kind not in by_kind:
                by_kind[kind] = await self._wanting(kind)
            owed.extend((w.subscription.id, event.event_id) for w in by_kind[kind] if w.wants(event))
        if owed:
            await self._store.enqueue(events, owed)
            self._on_enqueued()


def _tmf_names(tk: TmfKind, canonical: tuple[str, ...]) -> list[str]:
    by_canonical = {c: t for t, c in top_level_fields(tk).items() if c is not None and t != "orderType"}
    return [by_canonical.get(name, name) for name in canonical]


def envelope(event: OrderEvent, base_url: str) -> dict[str, Any]:
    """The TMF event body: eventId, eventTime, eventType, event: {<kind>Order: the order}.

    Extensions: ``previousState`` and ``itemStateChange`` on state changes,
    ``reason`` when the change had one, ``fieldPath`` (comma-separated TMF
    attribute names) on attribute changes.
    """
    tk = KINDS[Kind(event.kind)]
    body: dict[str, Any] = {
        "eventId": event.event_id,
        "eventTime": iso(event.occurred_at),
        "eventType": tk.event_name(event.type),
    }
    if event.task_id is not None:  # a cancel task's event: the task is the event's resource
        body["event"] = {tk.cancel_resource: event_task(tk, event, base_url)}
        return body
    body["event"] = {tk.resource: order_to_tmf(tk, event.order, base_url)}
    if event.type is EventType.STATE_CHANGED:
        body["previousState"] = event.previous_state
        body["itemStateChange"] = [
            {"id": c.item_id, "previousState": c.previous_state, "state": c.state} for c in event.item_changes
        ]
    if event.type is EventType.ATTRIBUTES_CHANGED:
        body["fieldPath"] = ",".join(_tmf_names(tk, event.changed_fields))
    if event.reason:
        body["reason"] = event.reason
    return body
