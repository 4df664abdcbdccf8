"""Feasibility: may this order be fulfilled as asked?  Reports per item why.

Malformed input is an error (raised while parsing); an order that parses but
cannot be fulfilled is *infeasible*: a create stores it as rejected with these
reasons, and a check reports them without storing anything.  Every check here
is linear in the order's items and relationships (cycles are found with
Tarjan's strongly connected components), so no order a client can send makes
it slow.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from core.domain.model import ItemAction, Kind, Order, OrderItem


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


def cycle_members(edges: Mapping[str, Sequence[str]]) -> set[str]:
    """Nodes on a cycle: the members of every strongly connected component of more than one node,
    and nodes with an edge to themselves (Tarjan's algorithm, iterative: O(nodes + edges))."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    members: set[str] = set()
    for root in edges:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is not None:
                if target not in edges:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges[target])))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1 or node in edges[node]:
                    members.update(component)
    return members


def _names_what(kind: Kind, item: OrderItem) -> bool:
    """An added item names what to add: a specification, an offering, or the items it holds."""
    spec = item.entity.specification
    if spec is not None and (spec.id or spec.name):
        return True
    for ref in (item.data.get("productOffering"), item.data.get("resourceSpecification")):
        if isinstance(ref, Mapping) and (ref.get("id") or ref.get("name")):
            return True
    return bool(item.items)


def _item_reasons(kind: Kind, item: OrderItem, ids: set[str]) -> list[str]:
    why = []
    if item.action is ItemAction.ADD and not _names_what(kind, item):
        offering = " or product offering" if kind is Kind.PRODUCT else ""
        why.append(f"names no {kind.entity} specification{offering}")
    if item.action in (ItemAction.MODIFY, ItemAction.DELETE) and not item.entity.id:
        why.append(f"{item.action.value} needs the id of an existing {kind.entity}")
    if item.action is ItemAction.NO_CHANGE and not (item.entity.id or _names_what(kind, item)):
        why.append(f"names no {kind.entity}")
    why += [f"relates to unknown item {r.item_id!r}" for r in item.relationships if r.item_id not in ids]
    return why


def check(order: Order, known_types: dict[Kind, frozenset[str]]) -> FeasibilityReport:
    reasons = []
    if order.order_type not in known_types.get(order.kind, frozenset()):
        reasons.append(f"unknown order type {order.order_type!r} for {order.kind.value}")
    start, end = order.requested_start_date, order.requested_completion_date
    if start and end and start > end:
        reasons.append("requestedStartDate is after requestedCompletionDate")
    every = list(order.all_items())
    ids = {i.id for i in every}
    cyclic = cycle_members({i.id: [r.item_id for r in i.relationships] for i in every})
    items = []
    for item in every:
        why = _item_reasons(order.kind, item, ids)
        if item.id in cyclic:
            why.append("is on a cycle of item relationships")
        items.append(ItemFeasibility(item.id, not why, tuple(why)))
    feasible = not reasons and all(i.feasible for i in items)
    return FeasibilityReport(feasible, tuple(reasons), tuple(items))
