"""TMF630 query strings -> core queries; hub event filters."""

from __future__ import annotations

import pytest

from adapters.rest.filters import event_filter, fields_of, list_request
from adapters.rest.vocabulary import KINDS
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind
from core.domain.query import Criterion, Op, SortKey

PRODUCT, SERVICE, RESOURCE = KINDS[Kind.PRODUCT], KINDS[Kind.SERVICE], KINDS[Kind.RESOURCE]


def _query(tk, pairs):
    return list_request(tk, pairs, default_limit=100, max_limit=1000).query


def test_attribute_filters_become_criteria_on_canonical_paths():
    q = _query(
        PRODUCT,
        [
            ("state", "inProgress,held"),
            ("productOrderItem.state", "completed"),
            ("orderDate.gte", "2024-01-01T00:00:00Z"),
            ("productOrderItem.product.productSpecification.id", "fibre"),
            ("relatedParty.role", "customer"),
            ("@type", "ProductOrder"),
            ("priority", "0"),
        ],
    )
    assert q.kind is Kind.PRODUCT
    assert q.criteria == (
        Criterion("state", Op.EQ, ("inProgress", "held")),
        Criterion("items.state", Op.EQ, ("completed",)),
        Criterion("orderDate", Op.GTE, ("2024-01-01T00:00:00Z",)),
        Criterion("items.entity.specification.id", Op.EQ, ("fibre",)),
        Criterion("relatedParties.role", Op.EQ, ("customer",)),
        Criterion("orderType", Op.EQ, ("ProductOrder",)),
        Criterion("priority", Op.EQ, ("expedite",)),
    )


def test_paging_sort_and_fields():
    q = list_request(
        SERVICE,
        [("sort", "-orderDate,id"), ("offset", "5"), ("limit", "5000"), ("fields", "state,serviceOrderItem")],
        default_limit=100,
        max_limit=1000,
    )
    assert q.query.sort == (SortKey("orderDate", True), SortKey("id"))
    assert (q.query.offset, q.query.limit) == (5, 1000)
    assert q.fields == frozenset({"state", "serviceOrderItem"})
    assert q.query.attributes == ("items", "state")
    assert _query(SERVICE, []).limit == 100


def test_each_kind_filters_by_its_own_names():
    assert _query(RESOURCE, [("orderItem.resource.id", "r1")]).criteria[0].path == "items.entity.id"
    with pytest.raises(IllegalArgument):
        _query(RESOURCE, [("productOrderItem.state", "completed")])


@pytest.mark.parametrize(
    "pairs",
    [
        [("colour", "red")],
        [("state.like", "x")],
        [("productOrderItem.colour", "x")],
        [("sort", "colour")],
        [("sort", "productOrderItem.state")],
        [("orderDate.gt", "yesterday")],
        [("orderDate.gt", "2024-01-01T00:00:00Z,2025-01-01T00:00:00Z")],
        [("offset", "-1")],
        [("limit", "ten")],
        [("offset", str(2**40))],
        [("priority", "9")],
        [("fields", "state,colour")],
    ],
)
def test_what_cannot_be_applied_is_refused(pairs):
    with pytest.raises(IllegalArgument):
        _query(PRODUCT, pairs)


def test_fields_map_to_canonical_attributes():
    assert fields_of(PRODUCT, None) == (None, None)
    assert fields_of(PRODUCT, "href,note,relatedParty") == (
        frozenset({"href", "note", "relatedParty"}),
        ("notes", "relatedParties"),
    )


def test_event_filters():
    f = event_filter(
        SERVICE,
        "eventType=ServiceOrderStateChangeEvent,ServiceOrderCreateEvent&event.serviceOrder.state=completed",
    )
    assert f.event_types == frozenset({"ServiceOrderStateChangeEvent", "ServiceOrderCreateEvent"})
    assert f.criteria == (Criterion("state", Op.EQ, ("completed",)),)
    assert event_filter(SERVICE, "serviceOrderItem.state=failed").criteria[0].path == "items.state"
    assert event_filter(SERVICE, None).event_types == frozenset()
    with pytest.raises(IllegalAttributeValue):
        event_filter(SERVICE, "eventType=ProductOrderCreateEvent")
    with pytest.raises(IllegalArgument):
        event_filter(SERVICE, "event.serviceOrder.colour=red")
