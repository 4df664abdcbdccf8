"""Feasibility: may this order be fulfilled as asked?  Reports per item why.

Malformed input is an error (raised while parsing); an order that parses but
cannot be fulfilled is *infeasible*: a create stores it as rejected with these
reasons, and a check reports them without storing anything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from core.domain.model import ItemAction, Kind, Order


@dataclass(frozen=True, slots=True)
class ItemFeasibility:
    item_id: str
    feasible: bool
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeasibilityReport:
    feasible: bool
    reasons: tuple[str, ...]
    items: tuple[ItemFeasibility, ...]

    def all_reasons(self) -> list[str]:
        return list(self.reasons) + [f"item {i.item_id}: {r}" for i in self.items for r in i.reasons]


def default_order_types() -> dict[Kind, frozenset[str]]:
    return {k: frozenset({k.base_type}) for k in Kind}


def _cycle_members(edges: dict[str, list[str]]) -> set[str]:
    """Items that lie on a cycle of item relationships (iterative DFS)."""
    on_cycle: set[str] = set()
    for start in edges:
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(edges.get(start, [])))]
        path = [start]
        while stack:
            _node, it = stack[-1]
            nxt = next(iter(it), None)
            if nxt is None:
                stack.pop()
                path.pop()
                continue
            if nxt == start:
                on_cycle.update(path)
            elif nxt not in path and nxt in edges:
                stack.append((nxt, iter(edges.get(nxt, []))))
                path.append(nxt)
    return on_cycle


def check(order: Order, known_types: dict[Kind, frozenset[str]]) -> FeasibilityReport:
    reasons = []
    if order.order_type not in known_types.get(order.kind, frozenset()):
        reasons.append(f"unknown order type {order.order_type!r} for {order.kind.value}")
    start, end = order.requested_start_date, order.requested_completion_date
    if start and end and start > end:
        reasons.append("requestedStartDate is after requestedCompletionDate")
    ids = {i.id for i in order.items}
    edges = {i.id: [r.item_id for r in i.relationships] for i in order.items}
    cyclic = _cycle_members(edges)
    items = []
    for item in order.items:
        why = []
        spec = item.entity.specification
        if spec is None or not (spec.id or spec.name):
            why.append(f"names no {order.kind.entity} specification")
        if item.action in (ItemAction.MODIFY, ItemAction.DELETE) and not item.entity.id:
            why.append(f"{item.action.value} needs the id of an existing {order.kind.entity}")
        why += [f"relates to unknown item {r.item_id!r}" for r in item.relationships if r.item_id not in ids]
        if item.id in cyclic:
            why.append("is on a cycle of item relationships")
        items.append(ItemFeasibility(item.id, not why, tuple(why)))
    feasible = not reasons and all(i.feasible for i in items)
    return FeasibilityReport(feasible, tuple(reasons), tuple(items))
