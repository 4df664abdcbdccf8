"""Track and manage: milestones the fulfiller reports, and jeopardy alerts the gateway raises.

A milestone (TMF641 v4.1 ``milestone``) is a step of the work, reported by a
fulfiller on an open order of any kind.  A jeopardy alert (``jeopardyAlert``)
is raised once per order, by the gateway, when an open order passes its
expected completion date, or its requested one when it has no expected one.
Each is kept on the order, written in its history and announced by an event.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from core.document import limits
from core.document.parse import parse_date
from core.document.text import check_text
from core.domain.errors import IllegalArgument, IllegalAttributeValue, IllegalState
from core.domain.events import EventType
from core.domain.lifecycle import ORCHESTRATOR, record_event
from core.domain.model import Caller, HistoryEntry, JeopardyAlert, Milestone, Order, Role

MILESTONE_FIELDS = ("id", "name", "milestoneDate", "status", "description", "message")
JEOPARDY_NAME = "completionDateMissed"


def _text(value: Mapping[str, Any], key: str, bound: int) -> str | None:
    found = value.get(key)
    if found is None:
        return None
    if not isinstance(found, str) or len(found) > bound:
        raise IllegalAttributeValue(f"milestone.{key}", f"must be a text of at most {bound} characters")
    return found


def add_milestone(order: Order, value: Mapping[str, Any], caller: Caller, now: datetime) -> Milestone:
    """The fulfiller reports a milestone on an open order."""
    caller.require(Role.FULFILLER)
    if not isinstance(value, Mapping):
        raise IllegalArgument("a milestone must be an object")
    unknown = sorted(set(value) - set(MILESTONE_FIELDS) - {"@type", "@baseType", "@schemaLocation"})
    if unknown:
        raise IllegalArgument(f"unknown milestone attribute(s): {', '.join(unknown)}")
    check_text(dict(value), "milestone")
    if order.state.is_closed:
        raise IllegalState(f"{order.kind.value} {order.id!r} is {order.state.value}: its work is over")
    if len(order.milestones) >= limits.MAX_LIST:
        raise IllegalState(f"{order.kind.value} {order.id!r} holds {limits.MAX_LIST} milestones already")
    name = _text(value, "name", limits.MAX_NAME)
    if not name:
        raise IllegalAttributeValue("milestone.name", "is required")
    milestone = Milestone(
        id=_text(value, "id", limits.MAX_ID) or str(uuid.uuid4()),
        name=name,
        milestone_date=parse_date(value.get("milestoneDate"), "milestone.milestoneDate") or now,
        status=_text(value, "status", limits.MAX_NAME),
        description=_text(value, "description", limits.MAX_TEXT),
        message=_text(value, "message", limits.MAX_TEXT),
    )
    if any(m.id == milestone.id for m in order.milestones):
        raise IllegalAttributeValue("milestone.id", f"order {order.id!r} has a milestone {milestone.id!r} already")
    order.milestones.append(milestone)
    _recorded(order, caller.client_id, now, "addMilestone", "milestones", EventType.MILESTONE, name)
    return milestone


def due_date(order: Order) -> datetime | None:
    """When the order is late: its expected completion date, else its requested one."""
    return order.expected_completion_date or order.requested_completion_date


def in_jeopardy(order: Order, now: datetime) -> bool:
    due = due_date(order)
    return order.state.is_open and due is not None and due < now and not order.jeopardy_alerts


def raise_jeopardy(order: Order, now: datetime) -> bool:
    """Raise the order's one jeopardy alert if it is late and has none; False: nothing to do."""
    if not in_jeopardy(order, now):
        return False
    due = due_date(order)
    which = "expected" if order.expected_completion_date else "requested"
    alert = JeopardyAlert(
        id=str(uuid.uuid4()),
        name=JEOPARDY_NAME,
        alert_date=now,
        jeopardy_type="completionDate",
        message=f"the {which} completion date {due.isoformat() if due else ''} passed while the order is"
        f" {order.state.value}",
    )
    order.jeopardy_alerts.append(alert)
    _recorded(order, ORCHESTRATOR.client_id, now, "raiseJeopardy", "jeopardyAlerts", EventType.JEOPARDY, alert.message)
    return True


def _recorded(
    order: Order, actor: str, now: datetime, operation: str, field: str, event: EventType, reason: str | None
) -> None:
    order.version += 1
    order.history.append(HistoryEntry(now, actor, order.state, order.state, reason, None, operation, (field,)))
    record_event(order, event, now, actor, reason=reason)
