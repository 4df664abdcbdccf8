"""The provisioning report: what it counts, and its reference computation.

For a window of order dates [start, end), per order kind, per specification
and, for resource orders, per specification and item action: how many orders
were ordered, and how many of them are completed, failed, cancelled, still
open, and open past their due date (in jeopardy); and the lead time of the
completed ones (order date to completion date: median, 90th percentile, max).

The unit is the order, counted by its own state:

* a kind's row counts each of its orders once;
* a specification's row counts each order that holds at least one item of that
  specification (at any level of nesting), once however many such items it
  holds; an order holding items of two specifications counts in both rows, so
  specification rows do not add up to the kind's;
* an item's specification is its entity's specification id; a product order
  item without one is counted under its product offering id; an item naming
  neither is counted under no specification (``None``);
* a resource order's (specification, action) row counts each order that holds
  an item of that specification with that action.

The outcomes follow the OSS/J state hierarchy: ``partial`` is a
``closed.completed`` state and counts as completed (its lead time too);
``rejected`` is ``closed.aborted.aborted_byserver`` and counts as failed.
An order is in jeopardy when it is open and its expected completion date,
else its requested one, lies before the time the report is made.  The
percentiles are continuous (linear interpolation between the closest ranks:
PostgreSQL's ``percentile_cont``).

``report_rows`` is the reference: the in-memory store uses it, and the SQL
stores compute the same rows in the database.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.domain.model import ItemAction, Kind
from core.domain.states import State


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    OPEN = "open"


OUTCOMES: dict[State, Outcome] = {
    **{s: Outcome.OPEN for s in State if s.is_open},
    State.COMPLETED: Outcome.COMPLETED,
    State.PARTIAL: Outcome.COMPLETED,
    State.FAILED: Outcome.FAILED,
    State.REJECTED: Outcome.FAILED,
    State.CANCELLED: Outcome.CANCELLED,
}


def states_of(outcome: Outcome) -> tuple[str, ...]:
    """The state names (TMF) an outcome gathers, for a store to select on."""
    return tuple(s.value for s, o in OUTCOMES.items() if o is outcome)


class Level(StrEnum):
    """What a row of the report is about."""

    KIND = "kind"
    SPECIFICATION = "specification"
    ACTION = "action"  # a resource order specification and an item action


@dataclass(frozen=True, slots=True)
class ReportScope:
    """What a store is asked for: orders of ``kinds`` with an order date in [start, end), of
    ``client_id`` only when given; ``now`` decides jeopardy."""

    kinds: tuple[Kind, ...]
    start: datetime
    end: datetime
    now: datetime
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class LeadTime:
    """Seconds from order date to completion date of the completed orders."""

    median: float
    p90: float
    max: float


@dataclass(frozen=True, slots=True)
class Figures:
    ordered: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    open: int = 0
    in_jeopardy: int = 0
    lead_time: LeadTime | None = None  # None: nothing completed


@dataclass(frozen=True, slots=True)
class ReportRow:
    kind: Kind
    level: Level
    figures: Figures
    specification: str | None = None
    action: ItemAction | None = None


# ------------------------------------------------------------------ the reference


def percentile_cont(ordered: Sequence[float], fraction: float) -> float:
    """The continuous percentile of ascending values (PostgreSQL's ``percentile_cont``)."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def lead_time_of(seconds: Iterable[float]) -> LeadTime | None:
    ordered = sorted(seconds)
    if not ordered:
        return None
    return LeadTime(percentile_cont(ordered, 0.5), percentile_cont(ordered, 0.9), ordered[-1])


def specification_of(kind: Kind, item: Mapping[str, Any]) -> str | None:
    """The specification an item is counted under (see the module's description)."""
    spec = (item.get("entity") or {}).get("specification") or {}
    if spec.get("id") is not None:
        return str(spec["id"])
    offering = item.get("productOffering")
    if kind is Kind.PRODUCT and isinstance(offering, Mapping) and offering.get("id") is not None:
        return str(offering["id"])
    return None


def items_of(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every item of an order document, items inside items too."""
    stack = list(reversed(document.get("items") or []))
    while stack:
        item = stack.pop()
        yield item
        stack.extend(reversed(item.get("items") or []))


def _date(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class _Fact:
    outcome: Outcome
    late: bool
    lead: float | None


def _fact(document: Mapping[str, Any], now: datetime) -> _Fact:
    outcome = OUTCOMES[State(document["state"])]
    due = _date(document.get("expectedCompletionDate")) or _date(document.get("requestedCompletionDate"))
    ordered, completed = _date(document.get("orderDate")), _date(document.get("completionDate"))
    lead = None
    if outcome is Outcome.COMPLETED and ordered is not None and completed is not None:
        lead = (completed - ordered).total_seconds()
    return _Fact(outcome, outcome is Outcome.OPEN and due is not None and due < now, lead)


def figures_of(facts: Sequence[_Fact]) -> Figures:
    count = {o: sum(1 for f in facts if f.outcome is o) for o in Outcome}
    return Figures(
        ordered=len(facts),
        completed=count[Outcome.COMPLETED],
        failed=count[Outcome.FAILED],
        cancelled=count[Outcome.CANCELLED],
        open=count[Outcome.OPEN],
        in_jeopardy=sum(1 for f in facts if f.late),
        lead_time=lead_time_of(f.lead for f in facts if f.lead is not None),
    )


def in_scope(document: Mapping[str, Any], scope: ReportScope) -> bool:
    ordered = _date(document.get("orderDate"))
    return (
        document["kind"] in scope.kinds
        and (scope.client_id is None or document["clientId"] == scope.client_id)
        and ordered is not None
        and scope.start <= ordered < scope.end
    )


def report_rows(documents: Iterable[Mapping[str, Any]], scope: ReportScope) -> list[ReportRow]:
    """Every row of the report over order documents (those out of scope are passed over).

    Kinds without orders in the window have no row here: the use case adds them."""
    groups: dict[tuple[Kind, Level, str | None, ItemAction | None], list[_Fact]] = {}
    for doc in documents:
        if not in_scope(doc, scope):
            continue
        kind, fact = Kind(doc["kind"]), _fact(doc, scope.now)
        keys: set[tuple[Kind, Level, str | None, ItemAction | None]] = {(kind, Level.KIND, None, None)}
        for item in items_of(doc):
            spec = specification_of(kind, item)
            keys.add((kind, Level.SPECIFICATION, spec, None))
            if kind is Kind.RESOURCE:
                keys.add((kind, Level.ACTION, spec, ItemAction(item["action"])))
        for key in keys:
            groups.setdefault(key, []).append(fact)
    return [
        ReportRow(kind, level, figures_of(facts), spec, action)
        for (kind, level, spec, action), facts in groups.items()
    ]
