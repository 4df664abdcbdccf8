"""Feasibility rules and the reference meaning of query criteria."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.changes import draft_order
from core.domain.feasibility import check, default_order_types
from core.domain.model import Caller, Kind
from core.domain.query import Criterion, Op, matches, select


def _items(*edges: tuple[str, str], ids: tuple[str, ...] = ("a", "b", "c", "d")) -> dict[str, object]:
    return {
        "items": [
            {
                "id": i,
                "action": "add",
                "entity": {"specification": {"id": "spec"}},
                "relationships": [{"type": "dependsOn", "itemId": to} for frm, to in edges if frm == i],
            }
            for i in ids
        ]
    }


def _infeasible(value: dict[str, object], kind: Kind = Kind.SERVICE) -> set[str]:
    order = draft_order(kind, value, Caller("alice"), "o", datetime(2030, 1, 1, tzinfo=UTC))
    return {i.item_id for i in check(order, default_order_types()).items if not i.feasible}


@pytest.mark.parametrize(
    ("edges", "on_cycle"),
    [
        ((), set()),
        ((("a", "b"), ("b", "c"), ("c", "d")), set()),  # a chain is fine
        ((("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")), set()),  # so is a diamond
        ((("a", "a"),), {"a"}),
        ((("a", "b"), ("b", "a")), {"a", "b"}),
        ((("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")), {"a", "b", "c"}),  # d only leads into it
    ],
)
def test_items_on_a_cycle_of_relationships_are_infeasible(edges, on_cycle):
    assert _infeasible(_items(*edges)) == on_cycle


def test_an_unknown_order_type_makes_the_order_infeasible_not_its_items():
    order = draft_order(Kind.WORK, {**_items(), "orderType": "Teleport"}, Caller("a"), "o", datetime.now(UTC))
    report = check(order, default_order_types())
    assert not report.feasible
    assert report.reasons == ("unknown order type 'Teleport' for workOrder",)
    assert all(i.feasible for i in report.items)


DOC = {
    "id": "o1",
    "kind": "serviceOrder",
    "state": "inProgress",
    "version": 3,
    "orderDate": "2030-01-02T00:00:00Z",
    "items": [
        {"id": "i1", "state": "completed"},
        {"id": "i2", "state": "inProgress", "pointOfNoReturn": True},
    ],
}


@pytest.mark.parametrize(
    ("path", "op", "values", "expected"),
    [
        ("state", Op.EQ, ("held", "inProgress"), True),  # several values: any of them
        ("state", Op.NE, ("inProgress",), False),
        ("items.state", Op.EQ, ("completed",), True),  # any item
        ("items.state", Op.NE, ("completed",), False),  # no item
        ("items.pointOfNoReturn", Op.EQ, ("true",), True),
        ("version", Op.GT, ("2",), True),  # numbers compare as numbers
        ("version", Op.GT, ("10",), False),
        ("orderDate", Op.LT, ("2030-01-02T01:00:00+00:00",), True),  # dates as dates
        ("orderDate", Op.GTE, ("2030-01-02T01:00:00+02:00",), True),
        ("externalId", Op.EQ, ("x",), False),  # absent never equals
        ("externalId", Op.NE, ("x",), True),
    ],
)
def test_criteria_mean_what_they_say(path, op, values, expected):
    assert matches(DOC, Criterion(path, op, values)) is expected


def test_attribute_selection_keeps_id_and_kind():
    assert select(DOC, ["state"]) == {"id": "o1", "kind": "serviceOrder", "state": "inProgress"}
    assert select(DOC, None) == DOC
