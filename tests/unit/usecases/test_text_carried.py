"""Text no XML profile can carry is refused from clients in every form, and changes nothing."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryOrderStore
from core.domain.errors import IllegalAttributeValue
from core.domain.model import Caller, Kind, Role
from core.domain.states import State
from core.usecases import OrderManagement

ALICE = Caller("alice")
NOC = Caller("noc", frozenset({Role.FULFILLER}))
VALUE = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}


async def test_values_and_reasons_with_control_characters_are_refused_and_change_nothing():
    om = OrderManagement(MemoryOrderStore())
    with pytest.raises(IllegalAttributeValue, match=r"items\[0\].entity.characteristics.vlan"):
        await om.create_order(
            ALICE,
            Kind.SERVICE,
            {"items": [{**VALUE["items"][0], "entity": {"characteristics": {"vlan": "1\x00"}}}]},
        )
    order = await om.create_order(ALICE, Kind.SERVICE, VALUE)
    with pytest.raises(IllegalAttributeValue, match="notes"):
        await om.set_order(ALICE, None, order.id, {"notes": [{"text": "call\x07first"}]})
    with pytest.raises(IllegalAttributeValue, match="reason"):
        await om.abort_order(ALICE, None, order.id, "why\x02")
    with pytest.raises(IllegalAttributeValue, match="reason"):
        await om.change_order_state(NOC, None, order.id, State.HELD, "wait\x1b")
    with pytest.raises(IllegalAttributeValue, match="reason"):
        await om.change_order_item_state(NOC, None, order.id, "1", State.FAILED, "bad\x01")
    unchanged = await om.get_order(ALICE, None, order.id)
    assert (unchanged.version, unchanged.state) == (order.version, order.state)
    # tab, line feed and carriage return are text
    assert (await om.abort_order(ALICE, None, order.id, "moved\tto\nanother\rsite")).state is State.CANCELLED
