"""Building an order from a client's value, and changing one.

A value is checked whole against its kind's schema (``core.document.check``):
every problem is named in one error.  Who may change what, and when:

* content (items, requested dates, parties, priority, category,
  relationships, and client data other than the annotations) changes only
  in ``CONTENT_EDITABLE`` states, by the order's client;
* annotations (notes, description, externalId and ``ANNOTATION_DATA``) while
  the order is open, by its client;
* the fulfiller's own (``expectedCompletionDate``, items' ``pointOfNoReturn``)
  while it is open, by a fulfiller.

Every change is all-or-nothing, bumps the version once, and is written in
the order's history with its actor and what it changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.document import limits, render
from core.document.check import check_value
from core.document.fields import (
    _DATE_ATTR,
    _TEXT_ATTR,
    ANNOTATION_DATA,
    ANNOTATION_FIELDS,
    CONTENT_FIELDS,
    FULFILLER_FIELDS,
    LIFECYCLE_FIELDS,
    ORDER_FIELDS,
    SERVER_FIELDS,
)
from core.document.parse import order_from_dict
from core.document.schema import create_offers
from core.domain.errors import IllegalArgument, IllegalAttributeValue, IllegalState, PermissionDenied, Problem
from core.domain.events import EventType
from core.domain.feasibility import FeasibilityReport, check
from core.domain.lifecycle import record_event
from core.domain.model import Caller, HistoryEntry, Kind, Order, OrderItem, Role
from core.domain.states import CONTENT_EDITABLE, REMOVABLE, State

_MODIFIABLE = CONTENT_FIELDS | ANNOTATION_FIELDS | FULFILLER_FIELDS
_NOT_BY_VALUE = {
    "id": "is the order's key: it does not change",
    "orderType": "is chosen at create: it does not change",
}


def _value(value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise IllegalArgument("an order value must be an object")
    return dict(value)


def _server_problems(value: Mapping[str, Any], allowed: frozenset[str]) -> list[Problem]:
    return [
        Problem((key,), _NOT_BY_VALUE.get(key, "is read-only: the server sets it"))
        for key in value
        if key in ORDER_FIELDS and key not in allowed
    ]


def draft_order(kind: Kind, value: Mapping[str, Any], caller: Caller, new_id: str, now: datetime) -> Order:
    """Parse a client's order value into a new, not yet checked order."""
    value = {k: v for k, v in _value(value).items() if v is not None}  # null: absent
    allowed = (ORDER_FIELDS - SERVER_FIELDS - LIFECYCLE_FIELDS - FULFILLER_FIELDS) | create_offers(kind)
    problems = _server_problems(value, allowed)
    if "items" not in value:
        problems.append(Problem(("items",), "is required: an order needs at least one item"))
    check_value(kind, value, problems)
    order_id = caller.own_id(value["id"]) if value.get("id") else new_id
    if len(order_id) > limits.MAX_ID:
        raise IllegalAttributeValue(
            "id", f"is {order_id!r} in the client's namespace: longer than {limits.MAX_ID} characters"
        )
    order = order_from_dict(
        {**value, "id": order_id, "kind": kind.value, "clientId": caller.client_id}
        | {"orderType": value.get("orderType") or kind.base_type, "state": State.ACKNOWLEDGED.value}
        | {"version": 1}
    )
    order.order_date = now
    fresh = [i.id for i in order.all_items() if i.state is not State.ACKNOWLEDGED or i.point_of_no_return]
    if fresh:
        raise IllegalArgument(
            f"item(s) {', '.join(fresh)}: state and pointOfNoReturn are set by the server"
            " (a new item is acknowledged)"
        )
    return order


def admit(order: Order, report: FeasibilityReport, now: datetime) -> None:
    """Give a drafted order its first state: acknowledged, or rejected with reasons."""
    if report.feasible:
        target, reason = State.ACKNOWLEDGED, None
    else:
        target, reason = State.REJECTED, "; ".join(report.all_reasons())
        for item in order.all_items():
            item.state = State.REJECTED
    order.state, order.state_reason = target, reason
    order.history.append(HistoryEntry(now, order.client_id, None, target, reason, None, "create"))
    record_event(order, EventType.CREATED, now, order.client_id, reason=reason)


def _content(item: OrderItem) -> tuple[object, ...]:
    return (item.action, item.entity, item.quantity, item.relationships, item.data, [i.id for i in item.items])


def _merge_items(order: Order, candidate: Order, caller: Caller) -> bool:
    """Carry server-owned item fields over; True when only pointOfNoReturn moved."""
    old = {i.id: i for i in order.all_items()}
    new = list(candidate.all_items())
    only_ponr = {i.id for i in new} == set(old)
    for item in new:
        before = old.get(item.id)
        if before is None:
            if item.state is not State.ACKNOWLEDGED:
                raise IllegalArgument(f"new item {item.id!r} cannot carry a state")
            continue
        if item.state is not State.ACKNOWLEDGED and item.state is not before.state:
            raise IllegalArgument(f"item {item.id!r}: a state change is a transition, not a modification")
        ponr_moved = item.point_of_no_return != before.point_of_no_return
        if ponr_moved and Role.FULFILLER not in caller.roles and not caller.is_admin:
            raise PermissionDenied("pointOfNoReturn is set by the fulfiller")
        only_ponr = only_ponr and _content(item) == _content(before)
        item.state, item.state_reason, item.children = before.state, before.state_reason, before.children
    return only_ponr


def _is_content(key: str) -> bool:
    return key in CONTENT_FIELDS or (key not in ORDER_FIELDS and key not in ANNOTATION_DATA)


def _check_roles(order: Order, changed: set[str], ponr_only: bool, caller: Caller) -> None:
    fulfillers = changed & FULFILLER_FIELDS | ({"items"} & changed if ponr_only else set())
    if fulfillers:
        caller.require(Role.FULFILLER)
    owners = changed - fulfillers
    if owners and not caller.is_client_of(order):
        raise PermissionDenied(
            f"{', '.join(sorted(owners))}: only the order's client changes them; a fulfiller changes"
            " only item states, pointOfNoReturn and expectedCompletionDate"
        )
    content = {k for k in owners if _is_content(k)}
    if content and order.state not in CONTENT_EDITABLE:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: "
            f"{', '.join(sorted(content))} may change only while acknowledged, pending or held"
        )


def _adopt(order: Order, candidate: Order, changed: set[str]) -> None:
    for key in changed:
        if key in _DATE_ATTR or key in _TEXT_ATTR:
            attr = _DATE_ATTR.get(key) or _TEXT_ATTR[key]
            setattr(order, attr, getattr(candidate, attr))
        elif key == "relatedParties":
            order.related_parties = candidate.related_parties
        elif key in ("items", "notes", "priority", "relationships"):
            setattr(order, key, getattr(candidate, key))
    order.data = candidate.data


def apply_changes(
    order: Order,
    value: Mapping[str, Any],
    caller: Caller,
    now: datetime,
    known_types: dict[Kind, frozenset[str]],
) -> tuple[str, ...]:
    """Change the order's attributes; returns the changed field names (empty: no-op)."""
    value = _value(value)
    if value.get("id") == order.id:
        del value["id"]  # the order's own key, as clients often repeat it: nothing to change
    present = {k: v for k, v in value.items() if v is not None}  # null clears an attribute
    check_value(order.kind, present, _server_problems(value, _MODIFIABLE))
    if order.state.is_closed:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: closed orders do not change"
        )
    before = render.order_to_dict(order, with_history=False)
    merged = {k: v for k, v in {**before, **value}.items() if v is not None}
    candidate = order_from_dict(merged)
    ponr_only = _merge_items(order, candidate, caller) if "items" in value else False
    after = render.order_to_dict(candidate, with_history=False)
    changed = {k for k in value if before.get(k) != after.get(k)}
    if not changed:
        return ()
    _check_roles(order, changed, ponr_only, caller)
    report = check(candidate, known_types)
    if not report.feasible:
        raise IllegalArgument("the change makes the order infeasible: " + "; ".join(report.all_reasons()))
    _adopt(order, candidate, changed)
    order.version += 1
    fields = tuple(sorted(changed))
    order.history.append(
        HistoryEntry(now, caller.client_id, order.state, order.state, None, None, "setOrderByValue", fields)
    )
    record_event(order, EventType.ATTRIBUTES_CHANGED, now, caller.client_id, changed_fields=fields)
    return fields


def check_removable(order: Order) -> None:
    if order.state not in REMOVABLE:
        raise IllegalState(
            f"{order.kind.value} {order.id!r} is {order.state.value}: only closed or never-started"
            " orders can be removed"
        )
