"""The canonical order document: what is stored reads back as the same order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.document.parse import order_from_dict
from core.document.render import order_to_dict
from core.domain.changes import draft_order
from core.domain.errors import IllegalAttributeValue
from core.domain.model import Caller, Kind

# text every profile carries: no control characters XML 1.0 refuses
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"),
    min_size=1,
    max_size=12,
)
# ids are printable and free of white space and of the characters a URL path gives meaning to
ID = st.text(
    st.characters(
        min_codepoint=33, max_codepoint=0x2FF, exclude_categories=("Zs", "Cc"), exclude_characters="/?#%\\"
    ),
    min_size=1,
    max_size=12,
)
DATES = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
ITEM = st.fixed_dictionaries(
    {
        "id": ID,
        "action": st.sampled_from(["add", "modify", "delete", "noChange"]),
        "entity": st.fixed_dictionaries(
            {},
            optional={
                "id": ID,
                "specification": st.fixed_dictionaries({"id": ID}, optional={"name": TEXT}),
                "characteristics": st.lists(
                    st.fixed_dictionaries({"name": TEXT, "value": JSON}, optional={"valueType": TEXT}),
                    max_size=3,
                ),
            },
        ),
    },
    optional={"quantity": st.integers(1, 1000)},
)
VALUE = st.fixed_dictionaries(
    {"items": st.lists(ITEM, min_size=1, max_size=4, unique_by=lambda i: i["id"])},
    optional={
        "externalId": TEXT,
        "description": TEXT,
        "category": TEXT,
        "priority": st.sampled_from(["expedite", "high", "normal", "medium", "low"]),
        "requestedStartDate": DATES.map(lambda d: d.isoformat()),
        "requestedCompletionDate": DATES.map(lambda d: d.isoformat()),
        "notes": st.lists(st.fixed_dictionaries({"text": TEXT}, optional={"author": TEXT}), max_size=2),
        "relatedParties": st.lists(st.fixed_dictionaries({"id": ID}, optional={"role": TEXT}), max_size=2),
        "relationships": st.lists(st.fixed_dictionaries({"type": TEXT, "orderId": ID}), max_size=2),
    },
)


@settings(max_examples=100, deadline=None, database=None)
@given(st.sampled_from(list(Kind)), VALUE)
def test_an_order_survives_its_document(kind, value):
    order = draft_order(kind, value, Caller("alice"), "o-1", datetime(2030, 1, 1, tzinfo=UTC))
    doc = order_to_dict(order)
    again = order_from_dict(doc)
    assert order_to_dict(again) == doc
    assert again.items == order.items
    assert (again.priority, again.requested_start_date) == (order.priority, order.requested_start_date)


def test_dates_are_utc_iso_strings_whatever_offset_they_came_with():
    order = draft_order(
        Kind.SERVICE,
        {"items": [{"id": "i1", "action": "add", "entity": {}}], "requestedStartDate": "2030-05-01T12:00:00+02:00"},
        Caller("alice"),
        "o-1",
        datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert order_to_dict(order)["requestedStartDate"] == "2030-05-01T10:00:00Z"


def test_a_quantity_is_one_that_every_profile_can_carry():
    caller = Caller("acme", frozenset())
    value = {"items": [{"id": "1", "action": "add", "quantity": 2**31 - 1, "entity": {}}]}
    assert draft_order(Kind.SERVICE, value, caller, "o-1", datetime.now(UTC)).items[0].quantity == 2**31 - 1
    for bad in (0, 2**31, 10**30):
        value = {"items": [{"id": "1", "action": "add", "quantity": bad, "entity": {}}]}
        with pytest.raises(IllegalAttributeValue, match="quantity"):
            draft_order(Kind.SERVICE, value, caller, "o-1", datetime.now(UTC))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", {"description": "fibre\x01"}),
        ("items[0].stateReason", {"stateReason": "1\x0b"}),
        ("characteristics", {"entity": {"characteristics": [{"name": "vlan", "value": "1\x00"}]}}),
    ],
)
def test_text_that_xml_cannot_carry_is_refused_in_every_profile(field, value):
    item = {"id": "1", "action": "add", "entity": {}}
    order = {"items": [item]}
    if field == "description":
        order.update(value)
    else:
        item.update(value)
    with pytest.raises(IllegalAttributeValue, match="control characters"):
        draft_order(Kind.SERVICE, order, Caller("acme", frozenset()), "o-1", datetime.now(UTC))
    # tab, line feed and carriage return are text
    assert (
        draft_order(
            Kind.SERVICE,
            {"description": "a\tb\nc\r", "items": [{"id": "1", "action": "add", "entity": {}}]},
            Caller("acme", frozenset()),
            "o-1",
            datetime.now(UTC),
        ).description
        == "a\tb\nc\r"
    )
