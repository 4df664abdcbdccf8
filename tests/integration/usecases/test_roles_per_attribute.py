"""A fulfiller changes only what the fulfiller owns, a client only its own orders, and every
change is in the history with its actor (issue: hostile clients, item 2)."""

from __future__ import annotations

import pytest

from core.domain.errors import PermissionDenied
from core.domain.model import Caller, Kind, Role
from core.usecases import OrderManagement
from tests.builders import ALICE, NOC, item, order_value, stored

# one identity that fulfils everyone's orders and places its own (a partner that is both)
PARTNER = Caller("partner", frozenset({Role.CLIENT, Role.FULFILLER}))


@pytest.mark.parametrize(
    "change",
    [
        {"description": "rewritten by the fulfiller"},
        {"items": [item("i1"), item("i9")]},
        {"relatedParties": [{"id": "p9", "role": "customer"}]},
    ],
    ids=["description", "items", "relatedParties"],
)
async def test_a_fulfiller_rewriting_a_clients_order_is_refused_and_changes_nothing(any_store, change):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value(description="as placed"))
    before = await stored(any_store, order.id)
    for fulfiller in (NOC, PARTNER):
        with pytest.raises(PermissionDenied):
            await om.set_order(fulfiller, None, order.id, change)
    assert await stored(any_store, order.id) == before


async def test_what_the_fulfiller_owns_it_changes_and_the_history_names_it(any_store):
    om = OrderManagement(any_store)
    order = await om.create_order(ALICE, Kind.SERVICE, order_value())
    await om.set_order(NOC, None, order.id, {"expectedCompletionDate": "2031-01-02T03:04:05Z"})
    await om.set_order(ALICE, None, order.id, {"description": "the client's own words"})
    history = await om.get_order_history(ALICE, None, order.id)
    assert [(h.actor, h.changed) for h in history[-2:]] == [
        ("noc", ("expectedCompletionDate",)),
        ("alice", ("description",)),
    ]


async def test_an_identity_with_both_roles_is_the_client_of_its_own_orders_only(any_store):
    om = OrderManagement(any_store)
    alices = await om.create_order(ALICE, Kind.SERVICE, order_value())
    own = await om.create_order(PARTNER, Kind.SERVICE, order_value())
    before = await stored(any_store, alices.id)
    for attempt in (
        om.abort_order(PARTNER, None, alices.id, "not mine to cancel"),
        om.suspend_order(PARTNER, None, alices.id),
        om.remove_order(PARTNER, None, alices.id),
    ):
        with pytest.raises(PermissionDenied):
            await attempt
    assert await stored(any_store, alices.id) == before
    await om.set_order(PARTNER, None, own.id, {"description": "mine"})
    assert (await om.abort_order(PARTNER, None, own.id)).state.value == "cancelled"
    await om.remove_order(PARTNER, None, own.id)
