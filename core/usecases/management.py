"""OrderManagement: the one entry point every profile calls.

Each method is one canonical operation (DESIGN §3).  A method opens a unit of
work, loads what it needs, lets the domain decide, and commits the change
together with its events.  Callers are checked here, never in adapters.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from core.document import limits
from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.document.text import NOT_XML, check_text
from core.domain import changes, feasibility, lifecycle, tracking
from core.domain.cancel_tasks import CancelTaskPage, CancelTaskQuery
from core.domain.catalog import Catalog
from core.domain.errors import (
    DuplicateKey,
    IllegalArgument,
    ObjectNotFound,
    OrderError,
    PermissionDenied,
    ResyncRequired,
    UnsupportedOperation,
)
from core.domain.events import EventType
from core.domain.feasibility import FeasibilityReport
from core.domain.model import Caller, HistoryEntry, Kind, Order, Role
from core.domain.query import OrderQuery, check_attributes
from core.domain.states import State
from core.ports import AlreadyRecorded, QueryPage, UnitOfWork, UnitOfWorkFactory
from core.usecases.fulfilment import Fulfilment
from core.usecases.idempotency import REQUEST_HASH, REQUEST_KEY, checked, element_hash, stamped

T = TypeVar("T")

OPTIONAL_OPERATIONS = (
    "checkOrderFeasibility",
    "createOrdersByValues",
    "tryCreateOrdersByValues",
    "getOrdersByKeys",
    "trySetOrdersByValues",
    "tryStartOrdersByKeys",
    "tryAbortOrdersByKeys",
    "tryRemoveOrdersByKeys",
    "getOrderHistoryByKey",
    "suspendOrderByKey",
    "resumeOrderByKey",
)
QUERY_TYPES = ("QueryOrdersByTemplate", "QueryOrdersByFilter")
# Optional operations a deployment may switch off, for every kind or for some:
# those the core carries out as one call (the bulk forms are the profiles' loops
# over single calls).  The order operation each one runs, if any.
SWITCHABLE: dict[str, str | None] = {
    "suspendOrderByKey": "suspend",
    "resumeOrderByKey": "resume",
    "getOrderHistoryByKey": None,
    "checkOrderFeasibility": None,
}
_SWITCHABLE_MOVES = {move: name for name, move in SWITCHABLE.items() if move}


def parse_switched_off(spec: str) -> dict[str, frozenset[Kind]]:
    """``"resourceOrder:suspendOrderByKey, getOrderHistoryByKey"`` -> operation: kinds it is off for.

    An entry without ``kind:`` switches the operation off for every kind.
    ValueError names an entry that is not a switchable operation or kind."""
    off: dict[str, set[Kind]] = {}
    for entry in (e.strip() for e in spec.split(",")):
        if not entry:
            continue
        kind_name, _, operation = (part.strip() for part in entry.rpartition(":"))
        if operation not in SWITCHABLE:
            raise ValueError(f"{entry!r}: only {', '.join(SWITCHABLE)} can be switched off")
        try:
            kinds = {Kind(kind_name)} if kind_name else set(Kind)
        except ValueError:
            raise ValueError(f"{entry!r}: {kind_name!r} is not an order kind") from None
        off.setdefault(operation, set()).update(kinds)
    return {operation: frozenset(kinds) for operation, kinds in off.items()}


def _utcnow() -> datetime:
    return datetime.now(UTC)


UNCONDITIONAL_PAUSE_SECONDS = 0.05
# An order this large is worked in steps, the event loop let go between them (parse, feasibility,
# storage): no step of a create holds the loop for more than its own share (docs/security.md).
LARGE_ORDER_ITEMS = 500


async def _breathe(large: bool) -> None:
    if large:
        await asyncio.sleep(0)


@dataclass(frozen=True)
class Settings:
    order_types: dict[Kind, frozenset[str]] = field(default_factory=feasibility.default_order_types)
    auto_start: bool = False
    retries_on_conflict: int = 5
    # a writer that gave no version queues behind the others: it retries lost races, each after a
    # random pause (up to UNCONDITIONAL_PAUSE_SECONDS), for at most this long, before resyncRequired
    unconditional_wait_seconds: float = 10.0
    # optional operations switched off, with the kinds they are off for (see parse_switched_off)
    switched_off: Mapping[str, frozenset[Kind]] = field(default_factory=dict)
    # what realizes what (docs/fulfilment.md); empty: each order stands alone
    catalog: Catalog = field(default_factory=Catalog)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One result of a best-effort bulk operation: the order, or the error."""

    index: int
    key: str | None
    order: Order | None = None
    error: OrderError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _at(index: int, error: OrderError) -> OrderError:
    """The error of one order of a bulk request, naming its index."""
    error.message = f"order [{index}]: {error.message}"
    error.args = (error.message,)
    return error


async def _recall(uow: UnitOfWork) -> dict[str, Any] | None:
    """The result recorded for this request; KeyReused when its key was recorded for another."""
    key = REQUEST_KEY.get()
    return None if key is None else checked(key, await uow.requests.recall(key))


async def _remember(uow: UnitOfWork, result: Callable[[], dict[str, Any]]) -> None:
    """Record the result (with the request's digest) for a redelivered request; built only when
    there is a request key."""
    key = REQUEST_KEY.get()
    if key is not None:
        await uow.requests.remember(key, stamped(result()))


class _Stale(ResyncRequired):
    """The caller's version is not the order's: its read is stale (never retried)."""


def _order_result(order: Order) -> dict[str, Any]:
    return {"order": order_to_dict(order)}


class OrderManagement:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        settings: Settings | None = None,
        clock: Callable[[], datetime] = _utcnow,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._uow = uow
        self.settings = settings or Settings()
        self._now = clock
        self._new_id = new_id
        self.fulfilment = Fulfilment(
            self.settings.catalog,
            new_id,
            self.settings.order_types,
            lambda operation, kind: kind not in self.settings.switched_off.get(operation, frozenset()),
        )

    # ------------------------------------------------------------ metadata

    def get_order_types(self) -> dict[Kind, list[str]]:
        return {k: sorted(v) for k, v in self.settings.order_types.items()}

    def get_supported_optional_operations(self, kind: Kind | None = None) -> list[str]:
        """The optional operations offered (for ``kind``; without one, for at least one kind)."""
        off = self.settings.switched_off
        if kind is None:
            return [op for op in OPTIONAL_OPERATIONS if set(Kind) - off.get(op, frozenset())]
        return [op for op in OPTIONAL_OPERATIONS if kind not in off.get(op, frozenset())]

    def _offered(self, operation: str | None, kind: Kind) -> None:
        if operation is not None and kind in self.settings.switched_off.get(operation, frozenset()):
            raise UnsupportedOperation(f"{operation} is not offered for {kind.value}")

    def get_catalog(self) -> Mapping[str, Any]:
        """The decomposition catalog as it was read (docs/fulfilment.md); empty without one."""
        return self.settings.catalog.document

    def get_query_types(self) -> list[str]:
        return list(QUERY_TYPES)

    def get_event_types(self) -> list[str]:
        return [e.value for e in EventType]

    def make_order_value(self, kind: Kind, order_type: str | None = None) -> dict[str, Any]:
        order_type = order_type or kind.base_type
        if order_type not in self.settings.order_types.get(kind, frozenset()):
            raise IllegalArgument(f"unknown order type {order_type!r} for {kind.value}")
        return {"orderType": order_type, "items": []}

    # ------------------------------------------------------------ create

    def _draft(self, caller: Caller, kind: Kind, value: Mapping[str, Any]) -> Order:
        caller.require(Role.CLIENT)
        return changes.draft_order(kind, value, caller, self._new_id(), self._now())

    def check_feasibility(self, caller: Caller, kind: Kind, value: Mapping[str, Any]) -> FeasibilityReport:
        self._offered("checkOrderFeasibility", kind)
        return feasibility.check(self._draft(caller, kind, value), self.settings.order_types)

    async def _create_in(
        self, uow: UnitOfWork, caller: Caller, kind: Kind, value: Mapping[str, Any]
    ) -> Order:
        order = self._draft(caller, kind, value)
        large = sum(1 for _ in order.all_items()) > LARGE_ORDER_ITEMS
        await _breathe(large)
        now = self._now()
        report = feasibility.check(order, self.settings.order_types)
        await _breathe(large)
        changes.admit(order, report, now)
        if self.settings.auto_start and order.state is State.ACKNOWLEDGED:
            lifecycle.run_order_operation(order, "start", caller, now)
            await self.fulfilment.after(uow, order, State.ACKNOWLEDGED, now)
        await _breathe(large)
        await uow.orders.add(order)
        await uow.outbox.append(order.take_events())
        return order

    # A create does not look the request up before it runs: a new order cannot clash
    # with an earlier run of the same request, so the request log's key decides at
    # commit (AlreadyRecorded), and a create costs the store one round trip, not two.
    # A client-chosen id taken by that earlier run shows as DuplicateKey instead.

    async def create_order(self, caller: Caller, kind: Kind, value: Mapping[str, Any]) -> Order:
        try:
            async with self._uow() as uow:
                order = await self._create_in(uow, caller, kind, value)
                await _remember(uow, partial(_order_result, order))
                await uow.commit()
        except (AlreadyRecorded, DuplicateKey):
            if (prior := await self._recorded()) is None:
                raise
            return order_from_dict(prior["order"])
        return order

    async def create_orders(
        self, caller: Caller, kind: Kind, values: Sequence[Mapping[str, Any]]
    ) -> list[Order]:
        """Atomic: every order is created, or none (the error names the failing index)."""
        if not values:
            raise IllegalArgument("no orders given")
        try:
            return await self._create_all(caller, kind, values)
        except (AlreadyRecorded, DuplicateKey):
            if (prior := await self._recorded()) is None:
                raise
            return [order_from_dict(d) for d in prior["orders"]]

    async def _create_all(
        self, caller: Caller, kind: Kind, values: Sequence[Mapping[str, Any]]
    ) -> list[Order]:
        async with self._uow() as uow:
            out: list[Order] = []
            for i, value in enumerate(values):
                try:
                    out.append(await self._create_in(uow, caller, kind, value))
                except OrderError as e:
                    raise _at(i, e) from None
            await _remember(uow, lambda: {"orders": [order_to_dict(o) for o in out]})
            try:
                await uow.commit()
            except DuplicateKey as e:  # a store may find a taken id only at commit
                taken = [i for i, o in enumerate(out) if o.id == e.key]
                raise (_at(taken[0], e) if taken else e) from None
        return out

    async def _recorded(self) -> dict[str, Any] | None:
        """The result an earlier run of this request recorded, if any."""
        if REQUEST_KEY.get() is None:
            return None
        async with self._uow() as uow:
            return await _recall(uow)

    async def try_create_orders(
        self, caller: Caller, kind: Kind, values: Sequence[Mapping[str, Any]]
    ) -> list[Outcome]:
        return [
            await self.attempt(i, None, lambda v=v: self.create_order(caller, kind, v))  # type: ignore[misc]
            for i, v in enumerate(values)
        ]

    # ------------------------------------------------------------ read

    async def _load(self, uow: UnitOfWork, caller: Caller, kind: Kind | None, order_id: str) -> Order:
        if len(order_id) > limits.MAX_ID or NOT_XML.search(order_id) is not None:
            # no order has such an id: none is looked for (and the database never sees it)
            raise ObjectNotFound(f"no {kind.value if kind else 'order'} {limits.shown(order_id)}")
        for candidate in caller.ids_for(order_id):
            order = await uow.orders.get(candidate)
            if order is not None and caller.may_see(order) and (kind is None or order.kind is kind):
                return order
        what = kind.value if kind else "order"
        raise ObjectNotFound(f"no {what} {limits.shown(order_id)}")

    async def get_order(
        self, caller: Caller, kind: Kind | None, order_id: str, attributes: Sequence[str] | None = None
    ) -> Order:
        check_attributes(attributes)
        async with self._uow() as uow:
            return await self._load(uow, caller, kind, order_id)

    async def get_orders(
        self,
        caller: Caller,
        kind: Kind | None,
        order_ids: Sequence[str],
        attributes: Sequence[str] | None = None,
    ) -> list[Order]:
        check_attributes(attributes)
        async with self._uow() as uow:
            return [await self._load(uow, caller, kind, i) for i in order_ids]

    async def query_orders(self, caller: Caller, query: OrderQuery) -> QueryPage:
        async with self._uow() as uow:
            owner = None if caller.sees_all_orders else caller.client_id
            return await uow.orders.query(query, owner)

    async def query_cancel_tasks(self, caller: Caller, query: CancelTaskQuery) -> CancelTaskPage:
        """The caller's cancel tasks (everyone's, for a fulfiller or an admin), read from the
        tasks the store keeps: no order is read."""
        names = frozenset(i for named in query.order_ids for i in caller.ids_for(named))
        async with self._uow() as uow:
            owner = None if caller.sees_all_orders else caller.client_id
            return await uow.orders.cancel_tasks(query, owner, names)

    async def get_order_history(self, caller: Caller, kind: Kind | None, order_id: str) -> list[HistoryEntry]:
        order = await self.get_order(caller, kind, order_id)
        self._offered("getOrderHistoryByKey", order.kind)
        return list(order.history)

    # ------------------------------------------------------------ change

    async def _change(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        version: int | None,
        mutate: Callable[[Order], object],
    ) -> Order:
        """Load, check the caller's version, mutate, save with its events and with what the change
        causes on related orders (fulfilment).  A race lost to another writer is retried with a
        fresh read: a caller that gave a version then learns whether its read is still current
        (its order changed: resyncRequired) or whether only a related order moved meanwhile."""
        attempts = self.settings.retries_on_conflict
        waited = 0.0
        for attempt in itertools.count(1):
            try:
                return await self._change_once(caller, kind, order_id, version, mutate)
            except _Stale as stale:
                raise ResyncRequired(stale.message) from None
            except ResyncRequired:
                if version is None and waited < self.settings.unconditional_wait_seconds:
                    # no version: nobody's read is overridden, so the writer waits its turn; the
                    # random pause spreads a crowd of writers out instead of colliding again
                    pause = random.uniform(0, UNCONDITIONAL_PAUSE_SECONDS * min(1.0, attempt / 8))
                    waited += pause
                    await asyncio.sleep(pause)
                elif attempt >= attempts:
                    raise
        raise AssertionError("unreachable")

    async def _change_once(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        version: int | None,
        mutate: Callable[[Order], object],
    ) -> Order:
        async with self._uow() as uow:
            if (prior := await _recall(uow)) is not None:
                return order_from_dict(prior["order"])
            order = await self._load(uow, caller, kind, order_id)
            read, before = order.version, order.state
            if version is not None and version != read:
                raise _Stale(f"order {order_id!r} is at version {read}, not {version}")
            mutate(order)
            if order.version != read:
                await self.fulfilment.after(uow, order, before, self._now())
                await uow.orders.save(order, read)
                await uow.outbox.append(order.take_events())
                await _remember(uow, partial(_order_result, order))
                await uow.commit()
            return order

    async def set_order(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        value: Mapping[str, Any],
        version: int | None = None,
    ) -> Order:
        return await self._change(
            caller,
            kind,
            order_id,
            version,
            lambda o: changes.apply_changes(o, value, caller, self._now(), self.settings.order_types),
        )

    async def run_operation(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        operation: str,
        reason: str | None = None,
        version: int | None = None,
    ) -> Order:
        """A named order operation: start, suspend, resume, cancel, reject, hold ..."""
        check_text(reason, "reason")
        return await self._change(
            caller,
            kind,
            order_id,
            version,
            lambda o: self._run(o, operation, caller, reason),
        )

    def _run(self, order: Order, operation: str, caller: Caller, reason: str | None) -> None:
        self._offered(_SWITCHABLE_MOVES.get(operation), order.kind)
        lifecycle.run_order_operation(order, operation, caller, self._now(), reason)

    def _request_state(self, order: Order, state: State, caller: Caller, reason: str | None) -> None:
        move = lifecycle.requested_operation(order, state, caller)
        self._offered(_SWITCHABLE_MOVES.get(move or ""), order.kind)
        lifecycle.request_order_state(order, state, caller, self._now(), reason)

    async def start_order(
        self, caller: Caller, kind: Kind | None, order_id: str, version: int | None = None
    ) -> Order:
        return await self.run_operation(caller, kind, order_id, "start", None, version)

    async def suspend_order(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        reason: str | None = None,
        version: int | None = None,
    ) -> Order:
        return await self.run_operation(caller, kind, order_id, "suspend", reason, version)

    async def resume_order(
        self, caller: Caller, kind: Kind | None, order_id: str, version: int | None = None
    ) -> Order:
        return await self.run_operation(caller, kind, order_id, "resume", None, version)

    async def abort_order(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        reason: str | None = None,
        version: int | None = None,
        requested: datetime | None = None,
    ) -> Order:
        if requested is None:
            return await self.run_operation(caller, kind, order_id, "cancel", reason, version)
        check_text(reason, "reason")
        return await self._change(
            caller, kind, order_id, version, lambda o: self._cancel(o, caller, reason, requested)
        )

    def _cancel(self, order: Order, caller: Caller, reason: str | None, requested: datetime) -> None:
        """A cancel request that names the cancellation date the client asked for: kept on the
        request's history entry (its cancel task gives it back)."""
        self._run(order, "cancel", caller, reason)
        added = order.history.added()
        for index in range(len(added) - 1, -1, -1):
            if added[index].item_id is None and added[index].operation == "cancel":
                order.history.amend_added(index, dataclasses.replace(added[index], requested=requested))
                return

    async def change_order_state(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        state: State,
        reason: str | None = None,
        version: int | None = None,
    ) -> Order:
        """A transition request by target state (REST PATCH of state, changeOrderState)."""
        check_text(reason, "reason")
        return await self._change(
            caller,
            kind,
            order_id,
            version,
            lambda o: self._request_state(o, state, caller, reason),
        )

    async def change_order_item_state(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        item_id: str,
        state: State,
        reason: str | None = None,
        version: int | None = None,
    ) -> Order:
        check_text(reason, "reason")
        return await self._change(
            caller,
            kind,
            order_id,
            version,
            lambda o: lifecycle.change_item_state(o, item_id, state, caller, self._now(), reason),
        )

    async def add_milestone(
        self,
        caller: Caller,
        kind: Kind | None,
        order_id: str,
        milestone: Mapping[str, Any],
        version: int | None = None,
    ) -> Order:
        """A fulfiller reports a milestone of the work (TMF641 v4.1 ``milestone``, every kind)."""
        return await self._change(
            caller,
            kind,
            order_id,
            version,
            lambda o: tracking.add_milestone(o, milestone, caller, self._now()),
        )

    async def remove_order(
        self, caller: Caller, kind: Kind | None, order_id: str, version: int | None = None
    ) -> None:
        caller.require(Role.CLIENT)  # a client operation (DESIGN §3): fulfillers do not remove orders
        async with self._uow() as uow:
            if await _recall(uow) is not None:
                return
            order = await self._load(uow, caller, kind, order_id)
            if not caller.is_client_of(order):
                raise PermissionDenied(f"only the client of {order.kind.value} {order.id!r} removes it")
            read = order.version
            if version is not None and version != read:
                raise ResyncRequired(f"order {order_id!r} is at version {read}, not {version}")
            changes.check_removable(order)
            lifecycle.record_event(order, EventType.REMOVED, self._now(), caller.client_id)
            await uow.orders.remove(order, read)
            await uow.outbox.append(order.take_events())
            await _remember(uow, lambda: {"removed": order.id})
            await uow.commit()

    # ------------------------------------------------------------ best effort

    async def attempt(self, index: int, key: str | None, call: Callable[[], Awaitable[T]]) -> Outcome:
        """Run one element of a best-effort bulk call in its own transaction."""
        outer = REQUEST_KEY.get()
        token = REQUEST_KEY.set(None if outer is None else f"{outer}#{index}")
        digest = REQUEST_HASH.set(element_hash(REQUEST_HASH.get(), index))
        try:
            result = await call()
        except OrderError as e:
            return Outcome(index, key, error=e)
        finally:
            REQUEST_HASH.reset(digest)
            REQUEST_KEY.reset(token)
        order = result if isinstance(result, Order) else None
        return Outcome(index, key or (order.id if order else None), order=order)

    async def try_for_each(
        self, keys: Sequence[str], call: Callable[[str], Awaitable[object]]
    ) -> list[Outcome]:
        """Best effort: one outcome per key, in input order, each in its own transaction."""
        return [await self.attempt(i, k, lambda k=k: call(k)) for i, k in enumerate(keys)]  # type: ignore[misc]
