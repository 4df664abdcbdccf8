"""Decomposition, as pure functions: which parts realize an item, when a part's order is due,
what that order holds, and what the parts' states make of the item.

An item the catalog knows is realized by one order per part (of the layer
below: a product by service orders, a service by resource and work orders),
created once the parts it depends on (and the items its item depends on)
completed.  The item then follows its parts: all completed -> completed; one
failed -> failed; one waiting for information -> pending; all cancelled ->
cancelled (see docs/fulfilment.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.domain.catalog import Catalog, Entry, Part
from core.domain.model import ChildRef, ItemAction, Order, OrderItem
from core.domain.states import State

# item relationships that make an item wait for another's completion
DEPENDENCIES = frozenset({"dependsOn", "reliesOn"})
_FAILED = frozenset({State.FAILED, State.PARTIAL, State.REJECTED})


def plan(order: Order, item: OrderItem, catalog: Catalog) -> tuple[ChildRef, ...]:
    """The parts realizing an item (none: the catalog does not know it, or its action has no part)."""
    entry = catalog.entry_for(order.kind, item)
    if entry is None:
        return ()
    return tuple(ChildRef(p.name, p.kind) for p in entry.parts if p.action_for(item.action) is not None)


def waits_for(order: Order, item: OrderItem) -> list[str]:
    """The items this one depends on that are not completed yet."""
    return [
        r.item_id
        for r in item.relationships
        if r.type in DEPENDENCIES and order.item(r.item_id).state is not State.COMPLETED
    ]


def due(order: Order, item: OrderItem, entry: Entry, states: Mapping[str, State]) -> list[Part]:
    """The parts of an item whose order is due now: not created yet, and everything they depend on
    completed (``states``: part name -> the state of its order, for the parts created)."""
    if order.state is not State.IN_PROGRESS or item.state is not State.IN_PROGRESS or waits_for(order, item):
        return []
    return [
        entry.part(c.part)
        for c in item.children
        if c.order_id is None and all(states.get(d) is State.COMPLETED for d in entry.part(c.part).depends_on)
    ]


def child_value(order: Order, item: OrderItem, part: Part) -> dict[str, Any]:
    """The canonical value of the order realizing ``part`` of ``item``."""
    action = part.action_for(item.action) or item.action
    given = {c.name: c.value for c in item.entity.characteristics}
    carried = []
    for c in part.characteristics:
        present, carried_value = c.from_item(given)
        if present:
            carried.append({"name": c.name, "value": carried_value})
    entity: dict[str, Any] = {"specification": dict(part.specification)}
    if carried:
        entity["characteristics"] = carried
    if action is not ItemAction.ADD and item.entity.id:
        entity["id"] = f"{item.entity.id}.{part.name}"  # the realizing entity of an existing one
    value: dict[str, Any] = {
        "description": f"{part.name}: realizes item {item.id} of {order.kind.value} {order.id}",
        "relationships": [{"type": "realizes", "orderId": order.id}],
        "items": [{"id": part.name, "action": action.value, "quantity": item.quantity, "entity": entity}],
    }
    if order.related_parties:
        value["relatedParties"] = [
            {k: v for k, v in (("id", p.id), ("role", p.role), ("name", p.name)) if v is not None}
            for p in order.related_parties
        ]
    if order.priority is not None:
        value["priority"] = order.priority.name.lower()
    for key, date in (
        ("requestedStartDate", order.requested_start_date),
        ("requestedCompletionDate", order.requested_completion_date),
    ):
        if date is not None:
            value[key] = date.isoformat()
    return value


def verdict(item: OrderItem, states: Mapping[str, State], names: Mapping[str, str]) -> tuple[State, str]:
    """The state the parts' orders give the item, with the reason naming them (``states``: part ->
    the state of its order, for the parts created; ``names``: part -> "serviceOrder <id>")."""
    created = [states[c.part] for c in item.children if c.part in states]
    waiting = len(created) < len(item.children)
    failed = [names[c.part] for c in item.children if states.get(c.part) in _FAILED]
    if failed:
        return State.FAILED, f"{', '.join(failed)} failed"
    if not waiting and created and all(s is State.COMPLETED for s in created):
        return State.COMPLETED, "every part completed"
    if not waiting and created and all(s.is_closed for s in created):
        if all(s is State.CANCELLED for s in created):
            return State.CANCELLED, "every part cancelled"
        return State.FAILED, "not every part completed"
    pending = [names[c.part] for c in item.children if states.get(c.part) is State.PENDING]
    if pending:
        return State.PENDING, f"{', '.join(pending)} waits for information"
    return State.IN_PROGRESS, "parts under way"
