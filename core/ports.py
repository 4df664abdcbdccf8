"""Ports: what the core needs from the outside world, one concern each."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

from core.domain.cancel_tasks import CancelTaskPage, CancelTaskQuery
from core.domain.events import OrderEvent
from core.domain.model import Kind, Order
from core.domain.query import CountMode, OrderQuery
from core.domain.report import ReportRow, ReportScope


@dataclass(frozen=True, slots=True)
class QueryPage:
    """One page of a query.  ``total`` is what ``count`` says it is (exact, the planner's
    estimate, or 0 when not counted).  ``documents`` holds the page's canonical documents
    when the query asked for them (``as_documents``; ``orders`` is then empty), ``after`` the
    position of its last order when more follow (None on the last page)."""

    orders: list[Order]
    total: int
    count: CountMode = CountMode.EXACT
    documents: list[dict[str, Any]] | None = None
    after: tuple[Any, ...] | None = None

    @property
    def size(self) -> int:
        return len(self.documents) if self.documents is not None else len(self.orders)


class OrderRepository(Protocol):
    """Orders inside one unit of work; nothing is visible to others before commit."""

    async def add(self, order: Order) -> None:
        """Store a new order; DuplicateKey when its id is taken."""

    async def get(self, order_id: str) -> Order | None:
        """The stored order, or None."""

    async def save(self, order: Order, read_version: int) -> None:
        """Write a changed order; ResyncRequired unless the stored version is read_version."""

    async def remove(self, order: Order, read_version: int) -> None:
        """Delete an order; ResyncRequired unless the stored version is read_version."""

    async def query(self, query: OrderQuery, client_id: str | None) -> QueryPage:
        """Orders matching the query (only client_id's when given), with the total count."""

    async def cancel_tasks(
        self, query: CancelTaskQuery, client_id: str | None, order_ids: frozenset[str]
    ) -> CancelTaskPage:
        """Cancel tasks matching the query (only client_id's when given), ``order_ids`` every id
        the query's named orders may have (``core.domain.cancel_tasks.matching`` is the
        meaning); the tasks are the ones ``add`` and ``save`` were given orders with
        (``core.domain.cancel_tasks.touched``), gone with their order."""


class Outbox(Protocol):
    """Events written in the same transaction as the change they describe."""

    async def append(self, events: Sequence[OrderEvent]) -> None:
        """Queue events for relay; transactional: part of the unit of work's commit."""


class AlreadyRecorded(Exception):
    """The request log holds the key already: the request ran before.  Raised by ``remember``
    or by the commit after it; nothing of the unit of work is written."""


class RequestLog(Protocol):
    """Results of requests already executed; transactional: part of the unit of work."""

    async def recall(self, key: str) -> dict[str, Any] | None:
        """The result recorded for key, or None."""

    async def remember(self, key: str, result: dict[str, Any]) -> None:
        """Record key's result (written on commit, with the change it describes);
        AlreadyRecorded, from here or from the commit, when key is recorded already."""


class UnitOfWork(Protocol):
    """One transaction: rolls back on exit unless commit() was called."""

    orders: OrderRepository
    outbox: Outbox
    requests: RequestLog

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def commit(self) -> None:
        """Make every change of this unit durable; Unavailable on infrastructure failure."""


class UnitOfWorkFactory(Protocol):
    """Opens a new unit of work."""

    def __call__(self) -> UnitOfWork: ...


class Lease(Protocol):
    """A named lease held by one worker at a time across every gateway process."""

    async def acquire_lease(self, name: str, holder: str, seconds: float) -> bool:
        """True when holder now holds the lease (taken, or renewed for seconds more)."""

    async def release_lease(self, name: str, holder: str) -> None:
        """Give the lease up so another worker can take over at once."""


class OutboxFeed(Lease, Protocol):
    """The relay's view of the outbox."""

    async def unpublished(self, limit: int) -> list[OrderEvent]:
        """The oldest events not yet published, in outbox order."""

    async def remove_published(self, seqs: Sequence[int]) -> None:
        """These events were accepted by every publisher: they leave the outbox (which so holds
        only what is still owed, and does not grow with the orders' history)."""


class EventPublisher(Protocol):
    """Delivers events to one channel, in the order given; returns only once the channel
    accepted every one of them, and raises otherwise."""

    async def publish(self, events: Sequence[OrderEvent]) -> None: ...


@dataclass(frozen=True, slots=True)
class Subscription:
    """A notification listener registered by a client (TMF hub).

    ``state`` is ``active`` or ``suspended`` (its listener failed too often in a row:
    nothing more is owed to it, and ``state_reason`` says why); ``failures`` counts
    the failed attempts since the last delivery that succeeded; ``secret``, when
    given at registration, signs every delivery."""

    id: str
    callback: str
    client_id: str
    kind: Kind | None = None
    query: str | None = None
    state: str = "active"
    state_reason: str | None = None
    failures: int = 0
    secret: str | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event owed to one subscription; ``event`` is loaded only to be sent."""

    id: int
    subscription: Subscription
    event_id: str
    order_id: str
    attempts: int
    status: str  # pending | delivered | failed
    last_error: str | None = None
    event: OrderEvent | None = None


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """What a failed delivery attempt leaves behind: the error shown to the owner, when
    the subscription may be tried again, and whether the delivery or the whole
    subscription is given up (``suspend`` is then the reason)."""

    error: str
    retry_at: datetime
    give_up: bool = False
    suspend: str | None = None


class SubscriptionRepository(Protocol):
    """Durable hub subscriptions; each call is its own transaction."""

    async def add_subscription(self, subscription: Subscription, max_per_client: int) -> bool:
        """Store it unless its client holds max_per_client subscriptions already (then False)."""

    async def remove_subscription(self, subscription_id: str, client_id: str | None) -> bool:
        """False when there is no such subscription (for that client, when given)."""

    async def get_subscription(self, subscription_id: str) -> Subscription | None: ...

    async def subscriptions(self, kind: Kind | None = None) -> list[Subscription]:
        """Every subscription for events of kind (and those for every kind), oldest first."""


class DeliveryQueue(Lease, Protocol):
    """Durable per-subscription event deliveries with retry bookkeeping."""

    async def enqueue(self, events: Sequence[OrderEvent], owed: Sequence[tuple[str, str]]) -> None:
        """Owe events to subscriptions: ``owed`` holds (subscription id, event id) pairs.  One
        transaction whatever the fan-out; idempotent per pair; pairs of a subscription
        removed meanwhile are dropped."""

    async def due(
        self, now: datetime, limit: int, busy: Collection[str] = (), busy_clients: Collection[str] = ()
    ) -> list[Delivery]:
        """For each active subscription not backing off at ``now``, and neither in ``busy`` nor
        of a client in ``busy_clients``, its oldest pending delivery with its event; oldest first."""

    async def delivered(self, delivery: Delivery) -> None:
        """The listener accepted it; its subscription's failure count starts again."""

    async def attempt_failed(self, delivery: Delivery, outcome: FailedAttempt) -> None:
        """Record a failed attempt on the delivery and on its subscription, in one transaction."""

    async def delivery_counts(self, subscription_id: str) -> dict[str, int]:
        """How many deliveries of the subscription are in each status."""

    async def deliveries(
        self, subscription_id: str, status: str | None = None, limit: int = 1000
    ) -> list[Delivery]:
        """Deliveries of one subscription (of one status, when given), oldest first, without
        their events (for inspection)."""


class RetentionStore(Lease, Protocol):
    """What grows with traffic rather than with the order book, pruned in small batches.

    Each call deletes at most ``limit`` rows in one short transaction and returns how
    many it deleted; rows something still needs are never among them."""

    async def prune_request_log(self, before: datetime, limit: int) -> int:
        """Request results recorded before ``before``."""

    async def prune_deliveries(self, status: str, before: datetime, limit: int) -> int:
        """Deliveries ``delivered`` or ``failed`` (status) that finished before ``before``."""

    async def prune_suspended_subscriptions(self, before: datetime, limit: int) -> int:
        """Subscriptions suspended before ``before``: their deliveries first, then themselves."""

    async def prune_hub_events(self, before: datetime, limit: int) -> int:
        """Event payloads held for the hub, last needed before ``before``, that no pending
        delivery refers to."""


@runtime_checkable
class ProvisioningReportSource(Protocol):
    """The provisioning report's figures, computed where the orders are (no order is loaded)."""

    async def provisioning_figures(self, scope: ReportScope) -> list[ReportRow]:
        """The rows of ``core.domain.report.report_rows`` for the orders in scope: one per kind,
        specification and (resource orders) specification and action that has orders."""
