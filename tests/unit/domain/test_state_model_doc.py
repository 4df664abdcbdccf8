"""docs/state-model.md shows the tables the core runs on, no other."""

from __future__ import annotations

from pathlib import Path

from core.document.fields import ANNOTATION_DATA, ANNOTATION_FIELDS, CONTENT_FIELDS
from core.domain.states import (
    CONTENT_EDITABLE,
    ITEM_FOLLOWS,
    ITEM_ROLL_UP,
    ITEM_TRANSITIONS,
    ORDER_TRANSITIONS,
    PREVIOUS,
    State,
)

DOC = Path(__file__).resolve().parents[3] / "docs" / "state-model.md"


def table(heading: str) -> set[tuple[str, ...]]:
    """The rows of the first table under a heading, header and rule left out."""
    lines = DOC.read_text().split(f"## {heading}\n", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append(tuple(cell.strip() for cell in line.strip("|").split("|")))
    return set(rows)


def test_the_states_table():
    expected = {(s.tmf, s.ossj, "closed" if s.is_closed else "open") for s in State}
    assert table("States") == expected


def test_the_order_transitions_table():
    expected = {
        (t.source.value, "(previous)" if t.target == PREVIOUS else str(t.target), t.operation, t.actor.value)
        for t in ORDER_TRANSITIONS
    }
    assert table("Order transitions") == expected


def test_the_items_follow_table():
    expected = {(op, a.value, b.value) for op, moves in ITEM_FOLLOWS.items() for a, b in moves.items()}
    assert table("How items follow the order") == expected


def test_the_item_transitions_table():
    expected = {(t.source.value, str(t.target), t.operation) for t in ITEM_TRANSITIONS}
    assert table("Item transitions (the fulfiller's `changeOrderItemState`)") == expected


def test_the_modification_table():
    rows = {row[0]: row for row in table("Modification (`setOrderByValue`)")}
    assert set(rows["content"][1].split(", ")) == CONTENT_FIELDS
    assert set(rows["content"][2].split(", ")) == {s.value for s in CONTENT_EDITABLE}
    assert set(rows["annotations"][1].split(", ")) == ANNOTATION_FIELDS
    assert set(rows["annotations (client data)"][1].split(", ")) == ANNOTATION_DATA


def test_the_relaxations_table_is_the_one_the_schemas_are_built_with():
    from core.document.relaxations import EXTENDED_OBJECTS, RELAXATIONS

    expected = {(r.what, r.why) for r in RELAXATIONS} | {EXTENDED_OBJECTS}
    assert table("Client data") == expected


def test_the_roll_up_table():
    expected = {(t.source.value, str(t.target), t.operation) for t in ITEM_ROLL_UP}
    assert table("Items realized by other orders (roll-up)") == expected
