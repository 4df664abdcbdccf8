"""Building an order from a client's value, and changing one.

Content (items, requested dates, parties, priority, category, relationships)
changes only in ``CONTENT_EDITABLE`` states; annotations (notes,
description, externalId) while the order is open; a fulfiller may set
``expectedCompletionDate`` and items' ``pointOfNoReturn`` while it is open.
Every change is all-or-nothing and bumps the version once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from core.document import fields, parse, render, text
from core.domain.errors import (
    IllegalArgument,
    IllegalAttributeValue,
    IllegalState,
    PermissionDenied,
)
from core.domain.events import EventType
from core.domain.feasibility import FeasibilityReport, check
from core.domain.lifecycle import record_event
from core.domain.model import Caller, HistoryEntry, Kind, Order, OrderItem, Role
from core.domain.states import CONTENT_EDITABLE, REMOVABLE, State

CONTENT_FIELDS = frozenset(
    {"items", "requestedStartDate", "requestedCompletionDate", "relatedParties", "priority"}
    | {"category", "relationships"}
)
ANNOTATION_FIELDS = frozenset({"notes", "description", "externalId"})
FULFILLER_FIELDS = frozenset({"expectedCompletionDate"})
CREATE_FIELDS = CONTENT_FIELDS | ANNOTATION_FIELDS | {"id", "orderType"}
MODIFY_FIELDS = CONTENT_FIELDS | ANNOTATION_FIELDS | FULFILLER_FIELDS

_SETTERS: dict[str, Callable[[Order, Mapping[str, Any]], None]] = {
    "items": lambda o, v: setattr(o, "items", parse.parse_items(v)),
    "notes": lambda o, v: setattr(o, "notes", parse.parse_notes(v)),
    "relatedParties": lambda o, v: setattr(o, "related_parties", parse.parse_parties(v)),
    "relationships": lambda o, v: setattr(o, "relationships", parse.parse_relationships(v)),
    "priority": lambda o, v: setattr(o, "priority", parse.parse_priority(v.get("priority"))),
    "requestedStartDate": lambda o, v: setattr(
        o, "requested_start_date", parse.parse_date(v.get("requestedStartDate"), "requestedStartDate")
    ),
    "requestedCompletionDate": lambda o, v: setattr(
        o,
        "requested_completion_date",
        parse.parse_date(v.get("requestedCompletionDate"), "requestedCompletionDate"),
    ),
    "expectedCompletionDate": lambda o, v: setattr(
        o,
        "expected_completion_date",
        parse.parse_date(v.get("expectedCompletionDate"), "expectedCompletionDate"),
    ),
    "description": lambda o, v: setattr(o, "description", parse._text(v, "description")),
    "category": lambda o, v: setattr(o, "category", parse._text(v, "category")),
    "externalId": lambda o, v: setattr(o, "external_id", parse._text(v, "externalId")),
}


def _check_keys(value: Mapping[str, Any], allowed: frozenset[str]) -> None:
    if not isinstance(value, Mapping):
        raise IllegalArgument("an order value must be an object")
    extra = sorted(set(value) - allowed)
    if extra:
        read_only = [k for k in extra if k in fields.ORDER_FIELDS]
        if read_only:
            raise IllegalArgument(f"read-only attribute(s) cannot be set: {', '.join(read_only)}")
        raise IllegalArgument(f"unknown attribute(s): {', '.join(extra)}")


def _fresh_items(order: Order) -> None:
    for item in order.items:
        if item.state is not State.ACKNOWLEDGED or item.point_of_no_return:
            raise IllegalArgument(f"item {item.id!r}: state and pointOfNoReturn are set by the server")


def draft_order(kind: Kind, value: Mapping[str, Any], caller: Caller, new_id: str, now: datetime) -> Order:
    """Parse a client's order value into a new, not yet checked order."""
    _check_keys(value, CREATE_FIELDS)
    text.check_text(value)
    order_id = parse._text(value, "id") or new_id
    order = Order(
        id=order_id,
        kind=kind,
        client_id=caller.client_id,
        order_type=parse._text(value, "orderType") or kind.base_type,
        items=[],
        order_date=now,
    )
    for key in value:
        if key in _SETTERS:
            _SETTERS[key](order, value)
    if not order.items:
        raise IllegalAttributeValue("items", "an order needs at least one item")
    _fresh_items(order)
    return order


def admit(order: Order, report: FeasibilityReport, now: datetime) -> None:
    """Give a drafted order its first state: acknowledged, or rejected with reasons."""
    if report.feasible:
        target, reason = State.ACKNOWLEDGED, None
    else:
        target, reason = State.REJECTED, "; ".join(report.all_reasons())
        for item in order.items:
            item.state = State.REJECTED
    order.state, order.state_reason = target, reason
    order.history.append(HistoryEntry(now, order.client_id, None, target, reason, None, "create"))
    record_event(order, EventType.CREATED, now, order.client_id, reason=reason)


def _merge_items(order: Order, new_items: list[OrderItem], caller: Caller) -> bool:
    """Carry server-owned item fields over; True when only pointOfNoReturn moved."""
    old = {i.id: i for i in order.items}
    only_ponr = len(new_items) == len(old)
    for item in new_items:
        before = old.get(item.id)
        if before is None:
            only_ponr = False
            if item.state is not State.ACKNOWLEDGED:
                raise IllegalArgument(f"new item {item.id!r} cannot carry a state")
            continue
        if item.state is not State.ACKNOWLEDGED and item.state is not before.state:
            raise IllegalArgument(f"item {item.id!r}: a state change is a transition, not a modification")
        ponr_moved = item.point_of_no_return != before.point_of_no_return
        if ponr_moved and Role.FULFILLER not in caller.roles and not caller.is_admin:
            raise PermissionDenied("pointOfNoReturn is set by the fulfiller")
        same_content = (item.action, item.entity, item.quantity, item.relationships) == (
            before.action,
            before.entity,
            before.quantity,
            before.relationships,
        )
        only_ponr = only_ponr and same_content
        item.state, item.state_reason = before.state, before.state_reason
    return only_ponr


def apply_changes(
    order: Order,
    value: Mapping[str, Any],
    caller: Caller,
    now: datetime,
    known_types: dict[Kind, frozenset[str]],
) -> tuple[str, ...]:
    """Change the order's attributes; returns the changed field names (empty: no-op)."""
    _check_keys(value, MODIFY_FIELDS)
    text.check_text(value)
    if order.state.is_closed:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: closed orders do not change"
        )
    before = render.order_to_dict(order, with_history=False)
    candidate = parse.order_from_dict({**before, "history": []})
    for key in value:
        _SETTERS[key](candidate, value)
    ponr_only = False
    if "items" in value:
        if not candidate.items:
            raise IllegalAttributeValue("items", "an order needs at least one item")
        ponr_only = _merge_items(order, candidate.items, caller)
    after = render.order_to_dict(candidate, with_history=False)
    changed = tuple(sorted(k for k in value if before.get(k) != after.get(k)))
    if not changed:
        return ()
    ponr = {"items"} if ponr_only else set()
    if (set(changed) & FULFILLER_FIELDS) | (ponr & set(changed)):
        caller.require(Role.FULFILLER)
    content = set(changed) & CONTENT_FIELDS - ponr
    if content and order.state not in CONTENT_EDITABLE:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: "
            f"{', '.join(sorted(content))} may change only while acknowledged, pending or held"
        )
    report = check(candidate, known_types)
    if not report.feasible:
        raise IllegalArgument("the change makes the order infeasible: " + "; ".join(report.all_reasons()))
    for key in changed:
        _SETTERS[key](order, value)
    if "items" in changed:
        order.items = candidate.items
    order.version += 1
    record_event(order, EventType.ATTRIBUTES_CHANGED, now, caller.client_id, changed_fields=changed)
    return changed


def check_removable(order: Order) -> None:
    if order.state not in REMOVABLE:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: only closed or never-started"
            " orders can be removed"
        )
