"""Priority mapping, order kinds and callers."""

from __future__ import annotations

import pytest

from core.domain.errors import IllegalAttributeValue, PermissionDenied
from core.domain.model import Caller, HistoryEntry, Kind, Order, Priority, Role
from core.domain.states import State

# DESIGN §2: TMF "0" (highest) ... "4" (lowest) <-> OSS/J 5 EXPEDITE ... 1 LOW
DESIGN_PRIORITIES = [
    ("0", 5, "EXPEDITE"),
    ("1", 4, "HIGH"),
    ("2", 3, "NORMAL"),
    ("3", 2, "MEDIUM"),
    ("4", 1, "LOW"),
]


@pytest.mark.parametrize(("tmf", "ossj", "name"), DESIGN_PRIORITIES)
def test_priority_maps_losslessly_both_ways(tmf, ossj, name):
    p = Priority.from_tmf(tmf)
    assert p.name == name
    assert p.ossj == ossj
    assert Priority.from_ossj(ossj) is p
    assert Priority.from_tmf(p.tmf) is p


def test_every_priority_is_in_the_mapping():
    assert {p.tmf for p in Priority} == {t for t, _, _ in DESIGN_PRIORITIES}


@pytest.mark.parametrize("value", ["5", "-1", "high", ""])
def test_an_unknown_tmf_priority_is_refused(value):
    with pytest.raises(IllegalAttributeValue, match="priority"):
        Priority.from_tmf(value)


@pytest.mark.parametrize("value", [0, 6, -1])
def test_an_unknown_ossj_priority_is_refused(value):
    with pytest.raises(IllegalAttributeValue, match="priority"):
        Priority.from_ossj(value)


@pytest.mark.parametrize(
    ("kind", "base", "entity"),
    [
        ("productOrder", "ProductOrder", "product"),
        ("serviceOrder", "ServiceOrder", "service"),
        ("resourceOrder", "ResourceOrder", "resource"),
        ("workOrder", "WorkOrder", "work"),
    ],
)
def test_the_four_kinds(kind, base, entity):
    k = Kind.parse(kind)
    assert (k.base_type, k.entity) == (base, entity)


def test_a_client_sees_only_its_own_orders_a_fulfiller_all():
    mine = Order("o1", Kind.SERVICE, "alice", "ServiceOrder", [])
    assert Caller("alice").may_see(mine)
    assert not Caller("bob").may_see(mine)
    assert Caller("noc", frozenset({Role.FULFILLER})).may_see(mine)
    assert Caller("root", frozenset({Role.ADMIN})).may_see(mine)


def test_roles_are_required_and_admin_has_them_all():
    with pytest.raises(PermissionDenied, match="fulfiller"):
        Caller("alice").require(Role.FULFILLER)
    with pytest.raises(PermissionDenied, match="client"):
        Caller("noc", frozenset({Role.FULFILLER})).require(Role.CLIENT)
    Caller("root", frozenset({Role.ADMIN})).require(Role.FULFILLER)


def test_a_change_to_an_old_order_parses_none_of_its_stored_history():
    """An order's history only grows: appending to it and storing it again must not cost the
    parsing and rendering of every entry before (a change slowed from 3 to 24 ms after 1,000)."""
    from datetime import UTC, datetime

    from core.document.parse import order_from_dict
    from core.document.render import order_to_dict
    from core.domain import changes
    from core.domain.feasibility import default_order_types

    now = datetime(2030, 1, 1, tzinfo=UTC)
    value = {"items": [{"id": "i1", "action": "add", "entity": {"specification": {"id": "s"}}}]}
    order = changes.draft_order(Kind.SERVICE, value, Caller("alice"), "o-1", now)
    order.history.append(HistoryEntry(now, "alice", None, State.ACKNOWLEDGED, None, None, "create"))
    stored = order_to_dict(order)
    stored["history"] = stored["history"] * 1000
    reread = order_from_dict(stored)
    parsed = []
    original = reread.history._parse
    reread.history._parse = lambda entry: parsed.append(entry) or original(entry)

    changes.apply_changes(reread, {"description": "new"}, Caller("alice"), now, default_order_types())
    again = order_to_dict(reread)

    assert parsed == [], "nothing read the stored entries"
    assert len(again["history"]) == 1001
    assert again["history"][:1000] == stored["history"]
    assert again["history"][-1]["operation"] == "setOrderByValue"
    # reading it parses it, in order, the appended entry last
    entries = list(reread.history)
    assert len(parsed) == 1000
    assert [e.operation for e in entries[-2:]] == ["create", "setOrderByValue"]
    assert reread.history[-1] == entries[-1]
    assert reread.history[:1] == entries[:1]
