"""Random operation sequences by clients and fulfillers keep the lifecycle invariants.

After every step, on every store: a failed operation changes nothing; a
closed order never changes again (it may only be removed); the version grows
by exactly one per change and not at all on a failure or no-op; the order's
state agrees with its items' (DESIGN §2 derivation, restated here); every
state change is told by exactly one OrderStateChange event whose previous and
new states chain from the old order to the new one; entering ``pending``
emits OrderInformationRequired; any other change emits one
OrderAttributeValueChange naming the changed fields.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from core.domain.errors import OrderError
from core.domain.model import Kind
from core.domain.states import State
from core.usecases import OrderManagement
from tests.builders import ALICE, BOB, NOC, item, order_value, outbox, stored
from tests.integration.usecases.expected_transitions import (
    CLIENT_OPS,
    CLOSED,
    CMP,
    CNL,
    FLD,
    FULFILLER_OPS,
    IP,
    ITEM_STATES,
    PEN,
    REACH,
    STATES,
)

CALLERS = {"alice": ALICE, "bob": BOB, "noc": NOC}
Move = tuple[str, ...]

# Item moves weigh most, and favour the closing targets: sequences must often
# close orders by their items, not only stay open.
ITEM_MOVES = st.tuples(
    st.just("noc"),
    st.just("item"),
    st.sampled_from(["i1", "i2", "i1", "i2", "i9"]),
    st.one_of(st.sampled_from([CMP, FLD, CNL]), st.sampled_from(ITEM_STATES)),
)
MOVES = st.one_of(
    st.sampled_from([("alice", op) for op in CLIENT_OPS]),
    st.sampled_from([("noc", op) for op in FULFILLER_OPS]),
    st.tuples(st.sampled_from(["alice", "noc"]), st.just("toState"), st.sampled_from(STATES)),
    ITEM_MOVES,
    ITEM_MOVES,
    ITEM_MOVES,
    st.sampled_from(
        [
            ("alice", "annotate"),
            ("alice", "content"),
            ("alice", "addItem"),
            ("alice", "stale"),
            ("noc", "pointOfNoReturn"),
            ("alice", "remove"),
            ("bob", "start"),
            ("bob", "annotate"),
        ]
    ),
)
# A sequence starts from any state of the hand-written reach table, so the
# closed and cancellation states are explored as often as the open ones.
SEQUENCES = st.tuples(st.sampled_from(list(Kind)), st.sampled_from(STATES), st.lists(MOVES, max_size=10))


def reaching(state: str) -> list[Move]:
    return [("noc", *step) if step[0] == "item" else step for step in REACH[state]]


async def perform(om: OrderManagement, doc: dict[str, Any], move: Move) -> None:
    caller, oid = CALLERS[move[0]], doc["id"]
    op = move[1]
    if op in (*CLIENT_OPS, *FULFILLER_OPS):
        await om.run_operation(caller, None, oid, op, f"{op} at random")
    elif op == "toState":
        await om.change_order_state(caller, None, oid, State(move[2]), "by target")
    elif op == "item":
        await om.change_order_item_state(caller, None, oid, move[2], State(move[3]), "item move")
    elif op == "annotate":
        await om.set_order(caller, None, oid, {"description": f"v{doc['version']}"}, doc["version"])
    elif op == "content":
        await om.set_order(caller, None, oid, {"priority": ["high", "low"][doc["version"] % 2]})
    elif op == "addItem":
        await om.set_order(caller, None, oid, {"items": [*doc["items"], item(f"n{doc['version']}")]})
    elif op == "stale":
        await om.set_order(caller, None, oid, {"description": "stale"}, doc["version"] - 1)
    elif op == "pointOfNoReturn":
        items = [dict(i) for i in doc["items"]]
        for i in items:
            if not i.get("pointOfNoReturn") and i["state"] not in CLOSED:
                i["pointOfNoReturn"] = True
                break
        await om.set_order(caller, None, oid, {"items": items})
    elif op == "remove":
        await om.remove_order(caller, None, oid)


def derived_state_problem(doc: dict[str, Any]) -> str | None:
    """DESIGN §2, restated: the order state the item states allow."""
    state, items = doc["state"], [i["state"] for i in doc["items"]]
    closed = [s in CLOSED for s in items]
    ok = {
        "acknowledged": all(s == "acknowledged" for s in items),
        "completed": all(s == CMP for s in items),
        "partial": all(closed) and CMP in items and any(s in (FLD, "cancelled") for s in items),
        "failed": all(closed) and CMP not in items and FLD in items,
        "rejected": all(s == "rejected" for s in items),
        "cancelled": all(closed),
    }.get(state, not all(closed))  # open and under way: some item still open
    return None if ok else f"order {state} with items {items}"


def _item_states(doc: dict[str, Any] | None) -> dict[str, str]:
    return {} if doc is None else {i["id"]: i["state"] for i in doc["items"]}


def check_step(before: dict[str, Any], after: dict[str, Any] | None, events: list[Any], failed: bool) -> None:
    # a cancel task's events follow the order's own of the same step, each naming its task
    tasks = [e for e in events if e.task_id]
    assert events[len(events) - len(tasks) :] == tasks, "a cancel task event before the order's own"
    assert all(e.task_state in {"acknowledged", "inProgress", "done", "terminatedWithError"} for e in tasks)
    events = [e for e in events if not e.task_id]
    types = [e.type.value for e in events]
    if failed or after == before:
        assert after == before, "a failed or no-op step changed the order"
        assert not events, f"a failed or no-op step emitted {types}"
        return
    assert before["state"] not in CLOSED or after is None, "a closed order changed"
    if after is None:
        assert types == ["OrderRemove"], types
        return
    assert after["version"] == before["version"] + 1, (before["version"], after["version"])
    assert (problem := derived_state_problem(after)) is None, problem
    changes = [e for e in events if e.type.value == "OrderStateChange"]
    old_items, new_items = _item_states(before), _item_states(after)
    moved = {(i, old_items[i], s) for i, s in new_items.items() if i in old_items and old_items[i] != s}
    if not changes:
        assert before["state"] == after["state"], "a state change without its event"
        assert not moved, f"item moves {moved} without an event"
    else:  # several events only for a round trip (cancel denied at once): they must chain
        chain = [before["state"]] + [e.state for e in changes]
        assert [e.previous_state for e in changes] == chain[:-1], chain
        assert chain[-1] == after["state"], chain
        assert all(e.previous_state != e.state or e.item_changes for e in changes), "an event for no change"
        # assessing is not deciding: no item moves until the cancellation is accepted
        assert not [e for e in changes if e.state == "assessingCancellation" and e.item_changes]
        told = {(c.item_id, c.previous_state, c.state) for e in changes for c in e.item_changes}
        assert told == moved, (told, moved)
        assert sum(len(e.item_changes) for e in changes) == len(moved), "an item change told twice"
    # DESIGN: requesting information (inProgress -> pending) emits it, as an item entering pending does
    requested = [e for e in changes if (e.previous_state, e.state) == (IP, PEN)]
    entered_pending = len(requested) + sum(1 for m in moved if m[2] == PEN)
    assert types.count("OrderInformationRequired") == entered_pending, types
    attribute_events = [e for e in events if e.type.value == "OrderAttributeValueChange"]
    assert len(attribute_events) + len(changes) + entered_pending == len(events), types
    for e in attribute_events:
        assert e.changed_fields, "an attribute change names no field"
        assert all(before.get(f) != after.get(f) for f in e.changed_fields), e.changed_fields
    assert events[-1].order == {k: v for k, v in after.items() if k != "history"}, "event snapshot is stale"


async def run_sequence(store: Any, kind: Kind, first_state: str, moves: list[Move]) -> None:
    om = OrderManagement(store)
    created = await om.create_order(ALICE, kind, order_value("i1", "i2"))
    for move in reaching(first_state) + moves:
        before = await stored(store, created.id)
        if before is None:
            return
        seen = len(await outbox(store, created.id))
        try:
            await perform(om, before, move)
            failed = False
        except OrderError:
            failed = True
        after = await stored(store, created.id)
        event(f"visited {after['state'] if after else 'removed'}")
        check_step(before, after, (await outbox(store, created.id))[seen:], failed)


FEW = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FEW
@given(SEQUENCES)
async def test_random_sequences_keep_the_invariants(any_store, sequence):
    await run_sequence(any_store, *sequence)


@settings(FEW, max_examples=150)
@given(SEQUENCES)
async def test_many_random_sequences_in_memory(sequence):
    from adapters.memory import MemoryOrderStore

    await run_sequence(MemoryOrderStore(), *sequence)
