"""Bad input gets a domain error with a clear message, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain.errors import DuplicateKey, IllegalArgument, ObjectNotFound, OrderError
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from tests.builders import ALICE, BOB, NOC, item, order_count, order_value, outbox, stored

# (what is wrong, the value, the error kind, words the message must contain)
BAD_CREATES: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    ("missing items", {"description": "no items"}, "illegalArgument", ("items", "at least one item")),
    ("empty items", {"items": []}, "illegalAttributeValue", ("items", "at least 1 entry")),
    ("items not a list", {"items": "i1"}, "illegalAttributeValue", ("items", "list")),
    ("unknown attribute", order_value(colour="red"), "illegalArgument", ("unknown attribute", "colour")),
    ("read-only attribute", order_value(state="completed"), "illegalArgument", ("state", "read-only")),
    (
        "unknown item attribute",
        {"items": [item("i1", size="L")]},
        "illegalArgument",
        ("unknown attribute", "items[0].size"),
    ),
    (
        "unknown item state",
        {"items": [item("i1", state="finished")]},
        "illegalAttributeValue",
        ("items[0].state", '"finished" is not one of'),
    ),
    (
        "item state set by the client",
        {"items": [item("i1", state="completed")]},
        "illegalArgument",
        ("i1", "set by the server"),
    ),
    (
        "malformed date",
        order_value(requestedStartDate="next tuesday"),
        "illegalAttributeValue",
        ("requestedStartDate", "ISO 8601"),
    ),
    (
        "date of the wrong type",
        order_value(requestedCompletionDate=20260101),
        "illegalAttributeValue",
        ("requestedCompletionDate",),
    ),
    (
        "quantity not a number",
        {"items": [item("i1", quantity="many")]},
        "illegalAttributeValue",
        ("items[0].quantity", "integer"),
    ),
    (
        "quantity below one",
        {"items": [item("i1", quantity=0)]},
        "illegalAttributeValue",
        ("items[0].quantity", "at least 1"),
    ),
    (
        "quantity beyond what every profile carries",
        {"items": [item("i1", quantity=2**31)]},
        "illegalAttributeValue",
        ("items[0].quantity", "at most 2147483647"),
    ),
    ("description not text", order_value(description=42), "illegalAttributeValue", ("description", "string")),
    ("unknown priority", order_value(priority="urgent"), "illegalAttributeValue", ("priority", "urgent")),
    (
        "unknown item action",
        {"items": [item("i1", action="upgrade")]},
        "illegalAttributeValue",
        ("action", "upgrade"),
    ),
    (
        "item without id",
        {"items": [{"action": "add", "entity": {}}]},
        "illegalArgument",
        ("items[0].id", "required"),
    ),
    ("item id twice", {"items": [item("i1"), item("i1")]}, "illegalAttributeValue", ("i1", "twice")),
    ("value not an object", ["i1"], "illegalArgument", ("object",)),  # type: ignore[list-item]
    # sizes and ranges: each once answered 500 (or stored a value no response could carry)
    ("id too long", order_value(id="x" * 129), "illegalAttributeValue", ("id", "longer than 128")),
    (
        "externalId too long",
        order_value(externalId="x" * 257),
        "illegalAttributeValue",
        ("externalId", "256"),
    ),
    (
        "a date whose UTC is past year 9999",
        order_value(requestedCompletionDate="9999-12-31T23:59:59-12:00"),
        "illegalAttributeValue",
        ("requestedCompletionDate", "between the years 1900 and 9999"),
    ),
    (
        "id with a newline",
        order_value(id="a\nb"),
        "illegalAttributeValue",
        ("id", "characters an id may not"),
    ),
    ("item id too long", {"items": [item("i" * 129)]}, "illegalAttributeValue", ("items[0].id", "128")),
    (
        "text too long",
        order_value(description="x" * 10_001),
        "illegalAttributeValue",
        ("description", "10000"),
    ),
]


@pytest.mark.parametrize(
    ("value", "kind", "words"), [c[1:] for c in BAD_CREATES], ids=[c[0] for c in BAD_CREATES]
)
async def test_a_bad_order_value_is_refused_and_nothing_is_stored(any_store, value, kind, words):
    om = OrderManagement(any_store)
    with pytest.raises(OrderError) as caught:
        await om.create_order(ALICE, Kind.SERVICE, value)
    assert caught.value.kind == kind, caught.value.message
    for word in words:
        assert word in caught.value.message, caught.value.message
    assert await order_count(any_store) == 0
    assert await outbox(any_store) == []


BAD_CHANGES: list[tuple[str, dict[str, Any], str, tuple[str, ...]]] = [
    ("unknown attribute", {"colour": "red"}, "illegalArgument", ("colour",)),
    ("read-only attribute", {"version": 9}, "illegalArgument", ("version", "read-only")),
    (
        "malformed date",
        {"requestedStartDate": "2026-13-45"},
        "illegalAttributeValue",
        ("requestedStartDate",),
    ),
    ("notes not a list", {"notes": "call first"}, "illegalAttributeValue", ("notes", "list")),
    (
        "note without text",
        {"notes": [{"author": "x"}]},
        "illegalArgument",
        ("notes[0].text", "required"),
    ),
    ("no items left", {"items": []}, "illegalAttributeValue", ("items", "at least 1 entry")),
    (
        "fulfiller field by a client",
        {"expectedCompletionDate": "2026-05-01T00:00:00Z"},
        "permissionDenied",
        ("fulfiller",),
    ),
]


@pytest.mark.parametrize(
    ("value", "kind", "words"), [c[1:] for c in BAD_CHANGES], ids=[c[0] for c in BAD_CHANGES]
)
async def test_a_bad_change_is_refused_and_the_order_is_untouched(any_store, value, kind, words):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.RESOURCE, order_value("i1"))
    before = await stored(any_store, order.id)
    with pytest.raises(OrderError) as caught:
        await om.set_order(ALICE, None, order.id, value)
    assert caught.value.kind == kind, caught.value.message
    for word in words:
        assert word in caught.value.message, caught.value.message
    assert await stored(any_store, order.id) == before
    assert len(await outbox(any_store, order.id)) == 1


async def test_an_unknown_item_or_state_in_a_move_is_refused(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.WORK, order_value("i1"))
    await om.start_order(ALICE, None, order.id)
    before = await stored(any_store, order.id)
    with pytest.raises(OrderError) as caught:
        await om.change_order_item_state(NOC, None, order.id, "i7", State.COMPLETED)
    assert caught.value.kind == "illegalAttributeValue"
    assert "i7" in caught.value.message
    with pytest.raises(OrderError) as caught:
        State.from_tmf("finished")
    assert caught.value.kind == "illegalAttributeValue"
    assert "finished" in caught.value.message
    with pytest.raises(OrderError) as caught:
        await om.run_operation(NOC, None, order.id, "expedite")
    assert caught.value.kind == "illegalArgument"
    assert "expedite" in caught.value.message
    assert await stored(any_store, order.id) == before
    assert len(await outbox(any_store, order.id)) == 2


def test_an_unknown_kind_is_refused():
    with pytest.raises(OrderError) as caught:
        Kind.parse("pizzaOrder")
    assert caught.value.kind == "illegalAttributeValue"
    assert "pizzaOrder" in caught.value.message


async def test_a_client_key_taken_is_a_duplicate_never_a_second_order(any_store):
    om = OrderManagement(any_store)
    first = await om.create_order(ALICE, Kind.PRODUCT, order_value("i1", id="PO-1", description="first"))
    assert first.id == "alice~PO-1"  # the key in the client's namespace
    with pytest.raises(DuplicateKey, match="PO-1"):
        await om.create_order(ALICE, Kind.PRODUCT, order_value("i9", id="PO-1", description="second"))
    with pytest.raises(DuplicateKey):  # another kind: ids are the client's, whatever the kind
        await om.create_order(ALICE, Kind.SERVICE, order_value("i1", id="alice~PO-1"))
    assert await order_count(any_store) == 1
    doc = await stored(any_store, "alice~PO-1")
    assert doc is not None
    assert doc["description"] == "first"
    assert doc["version"] == first.version
    assert [e.type.value for e in await outbox(any_store)] == ["OrderCreate"]


async def test_a_key_another_client_chose_is_neither_taken_nor_told(any_store):
    """Client ids live in the client's namespace: bob choosing alice's key learns nothing and takes nothing."""
    om = OrderManagement(any_store)
    alices = await om.create_order(ALICE, Kind.PRODUCT, order_value("i1", id="PO-1"))
    bobs = await om.create_order(BOB, Kind.PRODUCT, order_value("i1", id="PO-1"))
    assert (alices.id, bobs.id) == ("alice~PO-1", "bob~PO-1")
    squat = await om.create_order(BOB, Kind.PRODUCT, order_value("i1", id="alice~PO-2"))
    assert squat.id == "bob~alice~PO-2"
    assert (await om.create_order(ALICE, Kind.PRODUCT, order_value("i1", id="PO-2"))).id == "alice~PO-2"
    # each names its own by the key alone; the other's is not found, either way it is named
    assert (await om.get_order(ALICE, None, "PO-1")).id == "alice~PO-1"
    assert (await om.get_order(BOB, None, "PO-1")).id == "bob~PO-1"
    for name in ("alice~PO-1", "bob~PO-1"):
        assert (await om.get_order(NOC, None, name)).client_id == name.split("~")[0]
    with pytest.raises(ObjectNotFound):
        await om.get_order(BOB, None, "alice~PO-1")
    long_key = "k" * (128 - len("alice~") + 1)
    with pytest.raises(IllegalArgument, match="longer than 128"):
        await om.create_order(ALICE, Kind.PRODUCT, order_value("i1", id=long_key))


async def test_query_arguments_are_checked(any_store):
    from core.domain.query import Criterion, Op, OrderQuery, SortKey

    for build in (
        lambda: Criterion("colour", Op.EQ, ("red",)),
        lambda: Criterion("orderDate", Op.GT, ("yesterday",)),
        lambda: Criterion("version", Op.LT, ("1", "2")),
        lambda: SortKey("items"),
        lambda: OrderQuery(offset=-1),
        lambda: OrderQuery(attributes=("colour",)),
        lambda: Criterion("externalId", Op.EQ, ("a\x00b",)),  # PostgreSQL text cannot hold one
    ):
        with pytest.raises(IllegalArgument):
            build()


@pytest.mark.parametrize("order_id", ["a\x00b", "line\nbreak", "x" * 5000])
async def test_an_id_no_order_can_have_is_not_found_in_every_operation(any_store, order_id):
    """Found by the fuzzer: a NUL in a cancel's or a bulk delete's id reached PostgreSQL (500)."""
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value("i1"))
    for call in (
        lambda: om.get_order(ALICE, Kind.SERVICE, order_id),
        lambda: om.run_operation(ALICE, Kind.SERVICE, order_id, "cancel"),
        lambda: om.remove_order(ALICE, Kind.SERVICE, order_id),
        lambda: om.set_order(ALICE, Kind.SERVICE, order_id, {"description": "x"}),
    ):
        with pytest.raises(ObjectNotFound) as refused:
            await call()
        assert len(str(refused.value)) < 300
    assert await stored(any_store, order.id) is not None


async def test_a_dense_web_of_dependencies_is_checked_in_one_pass(any_store):
    """Item k depends on items 1..k-1: once exponential (24 items froze a worker 18 s), now linear in edges."""
    items = [
        item(f"i{k}", relationships=[{"type": "dependsOn", "itemId": f"i{j}"} for j in range(1, k)])
        for k in range(1, 201)
    ]
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.SERVICE, {"items": items})
    assert order.state is State.ACKNOWLEDGED
    cyclic = [*items[:-1], item("i200", relationships=[{"type": "dependsOn", "itemId": "i200"}])]
    report = om.check_feasibility(ALICE, Kind.SERVICE, {"items": cyclic})
    assert not report.feasible


async def test_a_message_names_fifty_problems_and_counts_the_rest(any_store):
    items = [item(f"i{k}", colour="red") for k in range(200)]
    with pytest.raises(IllegalArgument) as caught:
        await OrderManagement(any_store).create_order(ALICE, Kind.SERVICE, {"items": items})
    assert len(caught.value.problems) == 200
    assert caught.value.message.count("unknown attribute") == 50
    assert caught.value.message.endswith("; and 150 more")
