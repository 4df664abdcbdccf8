"""Fulfilment end to end: orders of one layer realized by orders of the next.

When an order whose items the catalog knows runs, each such item gets one
order per part (``core.domain.decomposition``), created, started and linked
both ways in the same transaction as the move that made them due; a part's
order moving rolls up to the item it realizes, and on up to the product
order; cancelling, suspending or resuming an order does the same to its open
parts' orders; a change of an item's characteristics reaches its parts'
orders.  Everything one operation causes, on however many orders, commits
in the caller's one transaction (``Related``) or not at all, so parent and
parts never disagree, whichever process dies when (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.document.render import item_to_dict
from core.domain import changes, feasibility, lifecycle
from core.domain.catalog import Catalog
from core.domain.decomposition import child_value, due, plan, verdict
from core.domain.events import EventType
from core.domain.lifecycle import ORCHESTRATOR
from core.domain.model import Caller, Kind, Order, OrderItem, ParentRef
from core.domain.states import State
from core.ports import UnitOfWork

_RUNNING = frozenset({State.IN_PROGRESS, State.PENDING, State.HELD})


def _effective(order: Order) -> State:
    """An order's state as the item it realizes sees it: waiting for information when any of its
    items is."""
    if order.state is State.IN_PROGRESS and any(i.state is State.PENDING for i in order.all_items()):
        return State.PENDING
    return order.state


class Related:
    """The orders one operation touches beside its own: loaded once, saved once, with their events."""

    def __init__(self, uow: UnitOfWork, target: Order) -> None:
        self._uow = uow
        self.target = target
        self.orders: dict[str, Order] = {target.id: target}
        self._read: dict[str, int] = {}
        self._new: list[Order] = []
        self._touched: set[str] = set()
        self.cascading: set[str] = set()  # orders whose parts are being asked to cancel right now

    async def get(self, order_id: str) -> Order | None:
        if order_id not in self.orders:
            found = await self._uow.orders.get(order_id)
            if found is None:
                return None
            self.orders[order_id], self._read[order_id] = found, found.version
        return self.orders[order_id]

    def add(self, order: Order) -> None:
        self.orders[order.id] = order
        self._new.append(order)

    def touch(self, order: Order) -> None:
        """The order changed without a move (its items' parts): it is saved with a version step."""
        self._touched.add(order.id)

    async def save(self) -> None:
        for order in self._new:
            await self._uow.orders.add(order)
            await self._uow.outbox.append(order.take_events())
        for order_id, read in self._read.items():
            order = self.orders[order_id]
            if order.version == read and order_id in self._touched:
                order.version += 1
            if order.version != read:
                await self._uow.orders.save(order, read)
                await self._uow.outbox.append(order.take_events())


class Fulfilment:
    def __init__(
        self,
        catalog: Catalog,
        new_id: Callable[[], str],
        order_types: dict[Kind, frozenset[str]],
        offered: Callable[[str, Kind], bool],
    ) -> None:
        self.catalog = catalog
        self._new_id = new_id
        self._order_types = order_types
        self._offered = offered

    def involved(self, order: Order) -> bool:
        return not self.catalog.empty or order.parent is not None or any(i.children for i in order.all_items())

    async def after(self, uow: UnitOfWork, order: Order, before: State, now: datetime) -> None:
        """What ``order``'s change (it was ``before``) causes on the orders related to it."""
        if not self.involved(order):
            return
        related = Related(uow, order)
        await self._modified(related, order, now)
        await self._settle(related, order, before, now)
        await related.save()

    # ------------------------------------------------------------ down

    async def _settle(self, rel: Related, order: Order, before: State, now: datetime) -> None:
        """What a move of ``order`` (it was ``before``) causes below it and above it."""
        if order.state is State.IN_PROGRESS:
            await self._decompose(rel, order, now)
        if order.state is not before:
            await self._cascade(rel, order, before, now)
        if order.parent is not None:
            await self._roll_up(rel, order, now)

    async def _decompose(self, rel: Related, order: Order, now: datetime) -> None:
        for item in list(order.all_items()):
            if not item.children and not item.items and item.state is State.IN_PROGRESS:
                planned = plan(order, item, self.catalog)
                if planned:
                    item.children = planned
                    rel.touch(order)
            if item.children:
                await self._create_due(rel, order, item, now)

    async def _parts(self, rel: Related, item: OrderItem) -> dict[str, Order]:
        out = {}
        for c in item.children:
            found = await rel.get(c.order_id) if c.order_id else None
            if found is not None:
                out[c.part] = found
        return out

    async def _create_due(self, rel: Related, order: Order, item: OrderItem, now: datetime) -> None:
        entry = self.catalog.entry_for(order.kind, item)
        if entry is None:
            return  # the catalog changed since: its parts are no longer known
        parts = await self._parts(rel, item)
        for part in due(order, item, entry, {name: o.state for name, o in parts.items()}):
            if any(c.part == part.name and c.order_id for c in item.children):
                continue  # created meanwhile, by what creating an earlier part set off
            child = self._child(order, item, part.name, child_value(order, item, part), part.kind, now)
            rel.add(child)
            item.children = tuple(replace(c, order_id=child.id) if c.part == part.name else c for c in item.children)
            rel.touch(order)
            await self._settle(rel, child, State.ACKNOWLEDGED, now)

    def _child(
        self, order: Order, item: OrderItem, part: str, value: dict[str, Any], kind: Kind, now: datetime
    ) -> Order:
        child = changes.draft_order(kind, value, Caller(order.client_id), self._new_id(), now)
        child.parent = ParentRef(order.kind, order.id, item.id)
        changes.admit(child, feasibility.check(child, self._order_types), now)
        if child.state is State.ACKNOWLEDGED:
            lifecycle.run_order_operation(child, "start", ORCHESTRATOR, now, f"realizes {order.id} item {item.id}")
        return child

    async def _children(self, rel: Related, order: Order) -> list[Order]:
        out: list[Order] = []
        for item in order.all_items():
            out += (await self._parts(rel, item)).values()
        return out

    async def _cascade(self, rel: Related, order: Order, before: State, now: datetime) -> None:
        """A move of an order with parts asks the same of its parts' open orders."""
        state = order.state
        if state is State.HELD and before is State.IN_PROGRESS:
            await self._each(rel, order, State.IN_PROGRESS, "suspend", "suspendOrderByKey", now)
        elif state is State.IN_PROGRESS and before is State.HELD:
            await self._each(rel, order, State.HELD, "resume", "resumeOrderByKey", now)
        elif state is State.ASSESSING_CANCELLATION:
            await self._cancel_down(rel, order, now)
        elif state is State.PENDING_CANCELLATION:
            await self._roll_back(rel, order, now)
        elif state is State.CANCELLED and before in _RUNNING:
            for child in await self._children(rel, order):
                if child.state.is_open:
                    await self._move(rel, child, "cancel", f"{order.kind.value} {order.id} was cancelled", now)

    async def _each(self, rel: Related, order: Order, source: State, op: str, name: str, now: datetime) -> None:
        for child in await self._children(rel, order):
            if child.state is source and self._offered(name, child.kind):
                await self._move(rel, child, op, f"{order.kind.value} {order.id}: {op}", now)

    async def _move(self, rel: Related, order: Order, operation: str, reason: str, now: datetime) -> None:
        before = order.state
        lifecycle.run_order_operation(order, operation, ORCHESTRATOR, now, reason)
        await self._settle(rel, order, before, now)

    async def _past_no_return(self, rel: Related, order: Order) -> list[str]:
        """Open items past their point of no return in the orders below this one, at every layer."""
        found: list[str] = []
        for child in await self._children(rel, order):
            if child.state.is_open:
                found += [f"{child.kind.value} {child.id} item {i}" for i in lifecycle.past_point_of_no_return(child)]
                found += await self._past_no_return(rel, child)
        return found

    async def _cancel_down(self, rel: Related, order: Order, now: datetime) -> None:
        blocking = await self._past_no_return(rel, order)
        if blocking:
            reason = f"cancellation denied: {', '.join(blocking)} past the point of no return"
            lifecycle.run_order_operation(order, "denyCancellation", ORCHESTRATOR, now, reason)
            return
        rel.cascading.add(order.id)  # its parts' answers are weighed once all were asked
        for child in await self._children(rel, order):
            if child.state is State.ACKNOWLEDGED or child.state in _RUNNING:
                await self._move(rel, child, "cancel", f"{order.kind.value} {order.id} is being cancelled", now)
        rel.cascading.discard(order.id)
        await self._assess(rel, order, now)

    def _orchestrated(self, order: Order) -> bool:
        """Every open item is realized by parts: the gateway decides on the order's cancellation."""
        open_items = [i for i in order.items if i.state.is_open]
        return bool(open_items) and all(i.children for i in open_items)

    async def _assess(self, rel: Related, order: Order, now: datetime) -> None:
        """A cancellation of an order realized by parts: accepted once every part's order accepted
        its own (or is closed), denied as soon as one goes on."""
        if order.state is not State.ASSESSING_CANCELLATION or not self._orchestrated(order):
            return
        if order.id in rel.cascading:
            return
        children = await self._children(rel, order)
        going_on = [c for c in children if c.state in _RUNNING]
        if going_on:
            names = ", ".join(f"{c.kind.value} {c.id}" for c in going_on)
            before = order.state
            lifecycle.run_order_operation(order, "denyCancellation", ORCHESTRATOR, now, f"cancellation denied: {names} goes on")
            await self._settle(rel, order, before, now)
        elif all(c.state is State.PENDING_CANCELLATION or c.state.is_closed for c in children):
            await self._move(rel, order, "acceptCancellation", "every part accepted the cancellation", now)

    async def _roll_back(self, rel: Related, order: Order, now: datetime) -> None:
        """Items whose parts' orders are all closed are rolled back."""
        done: list[tuple[str, State, str | None]] = []
        for item in order.all_items():
            if item.children and item.state is State.PENDING_CANCELLATION:
                parts = await self._parts(rel, item)
                if all(o.state.is_closed for o in parts.values()):
                    done.append((item.id, State.CANCELLED, "its parts were cancelled"))
        before = order.state
        if done and lifecycle.roll_up(order, done, now):
            await self._settle(rel, order, before, now)

    # ------------------------------------------------------------ up

    async def _roll_up(self, rel: Related, child: Order, now: datetime) -> None:
        ref = child.parent
        assert ref is not None
        parent = await rel.get(ref.order_id)
        if parent is None or not any(i.id == ref.item_id for i in parent.all_items()):
            return  # removed, or changed since: nothing to report to
        item = parent.item(ref.item_id)
        before = parent.state
        if any(e.type is EventType.STATE_CHANGED for e in child.pending_events):
            # The parent is written with a version step even when its items do not move: two parts
            # moving at once (in two transactions, each seeing the other still running) would
            # otherwise both leave it as it was, and the roll-up of the last one would be lost.
            # Now the second writer's save conflicts, and it is retried with a fresh read.
            rel.touch(parent)
        if parent.state is State.ASSESSING_CANCELLATION:
            await self._assess(rel, parent, now)
        elif parent.state is State.PENDING_CANCELLATION:
            await self._roll_back(rel, parent, now)
        else:
            parts = await self._parts(rel, item)
            states = {p: _effective(o) for p, o in parts.items()}
            target, why = verdict(item, states, {p: f"{o.kind.value} {o.id}" for p, o in parts.items()})
            if target is not item.state and lifecycle.roll_up(parent, [(item.id, target, why)], now):
                await self._settle(rel, parent, before, now)
            else:
                await self._decompose(rel, parent, now)  # parts (of this item or others) that waited may be due

    # ------------------------------------------------------------ changes

    async def _modified(self, rel: Related, order: Order, now: datetime) -> None:
        """An item's characteristics changed: its parts' orders get what they carry over."""
        changed = [e for e in order.pending_events if e.type is EventType.ATTRIBUTES_CHANGED]
        if not any("items" in e.changed_fields for e in changed):
            return
        for item in order.all_items():
            entry = self.catalog.entry_for(order.kind, item) if item.children else None
            if entry is None:
                continue
            for part, child in (await self._parts(rel, item)).items():
                value = child_value(order, item, entry.part(part))
                wanted = value["items"][0]["entity"].get("characteristics", [])
                current = item_to_dict(child.items[0])
                if current.get("entity", {}).get("characteristics", []) == wanted:
                    continue
                entity = {**current.get("entity", {}), "characteristics": wanted}
                kept = {k: v for k, v in current.items() if k not in ("state", "stateReason", "children")}
                changes.apply_changes(child, {"items": [kept | {"entity": entity}]}, ORCHESTRATOR, now, self._order_types)
