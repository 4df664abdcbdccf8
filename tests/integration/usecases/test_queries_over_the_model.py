"""Queries reach every attribute of the model, with the same answer on every store."""

from __future__ import annotations

from typing import Any

import pytest

from core.domain.errors import IllegalArgument
from core.domain.model import Kind
from core.domain.query import Criterion, Op, OrderQuery, SortKey
from core.usecases import OrderManagement
from tests.builders import ALICE, NOC


def _product(order_id: str, offering: str, speed: Any, quantity: int, role: str) -> dict[str, Any]:
    return {
        "id": order_id,
        "description": f"{offering} for a {role}",
        "relatedParties": [{"id": "p1", "role": role}],
        "channel": [{"id": "web", "name": "Online"}],
        "items": [
            {
                "id": "1",
                "action": "add",
                "quantity": quantity,
                "productOffering": {"id": offering, "name": f"offer {offering}"},
                "entity": {
                    "specification": {"id": "fibre", "version": "2"},
                    "characteristics": [
                        {"name": "speed", "value": speed, "valueType": "number"},
                        {"name": "profile", "value": {"vlan": 100, "qos": "gold"}},
                        {"name": "static", "value": quantity > 2},
                    ],
                },
            }
        ],
    }


ORDERS = [
    _product("q-1", "14277", 100, 1, "customer"),
    _product("q-2", "14305", 1000, 3, "seller"),
    _product("q-3", "14277", "1G", 7, "customer"),
]


async def _ids(om: OrderManagement, *criteria: Criterion, **query: Any) -> list[str]:
    page = await om.query_orders(NOC, OrderQuery(kind=Kind.PRODUCT, criteria=criteria, **query))
    return sorted(o.id.removeprefix("alice~") for o in page.orders)  # the keys alice chose


def _c(path: str, op: Op, *values: str) -> Criterion:
    return Criterion(path, op, values, Kind.PRODUCT)


@pytest.mark.parametrize(
    ("criteria", "expected"),
    [
        ([_c("items.productOffering.id", Op.EQ, "14277")], ["q-1", "q-3"]),
        ([_c("items.productOffering.id", Op.NE, "14277")], ["q-2"]),
        ([_c("items.productOffering.id", Op.EQ, "14305", "nothing")], ["q-2"]),
        ([_c("items.entity.characteristics.value", Op.EQ, "1000")], ["q-2"]),  # a number, written as text
        ([_c("items.entity.characteristics.value", Op.EQ, "1G")], ["q-3"]),
        ([_c("items.entity.characteristics.name", Op.EQ, "speed")], ["q-1", "q-2", "q-3"]),
        ([_c("items.entity.specification.version", Op.EQ, "2")], ["q-1", "q-2", "q-3"]),
        ([_c("items.quantity", Op.GT, "2")], ["q-2", "q-3"]),
        ([_c("items.quantity", Op.LTE, "3"), _c("relatedParties.role", Op.EQ, "customer")], ["q-1"]),
        ([_c("channel.name", Op.EQ, "Online")], ["q-1", "q-2", "q-3"]),
        ([_c("items.pointOfNoReturn", Op.EQ, "false")], ["q-1", "q-2", "q-3"]),
        ([_c("items.pointOfNoReturn", Op.EQ, "true")], []),
        ([_c("items.entity.characteristics.value", Op.EQ, "true")], ["q-2", "q-3"]),  # a JSON true
        ([_c("items.entity.characteristics.value", Op.EQ, "false")], ["q-1"]),
        ([_c("description", Op.EQ, "14277 for a customer")], ["q-1", "q-3"]),
    ],
)
async def test_a_filter_on_any_attribute_path_answers_alike_on_every_store(any_store, criteria, expected):
    om = OrderManagement(any_store)
    for value in ORDERS:
        await om.create_order(ALICE, Kind.PRODUCT, value)
    assert await _ids(om, *criteria) == expected


async def test_selection_follows_paths_and_keeps_each_objects_id(any_store):
    om = OrderManagement(any_store)
    for value in ORDERS:
        await om.create_order(ALICE, Kind.PRODUCT, value)
    page = await om.query_orders(
        NOC,
        OrderQuery(
            kind=Kind.PRODUCT, sort=(SortKey("id"),), attributes=("items.productOffering", "relatedParties.role")
        ),
    )
    from core.document.render import order_to_dict
    from core.domain.query import select

    first = select(order_to_dict(page.orders[0]), ("items.productOffering", "relatedParties.role"))
    assert first == {
        "id": "alice~q-1",
        "kind": "productOrder",
        "items": [{"id": "1", "productOffering": {"id": "14277", "name": "offer 14277"}}],
        "relatedParties": [{"id": "p1", "role": "customer"}],
    }


def test_a_path_the_model_does_not_have_is_refused():
    for path in ("items.colour", "items.productOffering.colour", "channel.id.x"):
        with pytest.raises(IllegalArgument, match="unknown"):
            Criterion(path, Op.EQ, ("x",), Kind.PRODUCT)
    with pytest.raises(IllegalArgument, match="object"):
        Criterion("items.productOffering", Op.EQ, ("x",), Kind.PRODUCT)


async def test_a_filter_on_what_the_server_keeps_answers_alike_on_every_store(any_store):
    """Milestones (a list the server keeps) and the parent reference (an object) are found
    on every store as the reference finds them."""
    om = OrderManagement(any_store)
    ids = [(await om.create_order(ALICE, Kind.PRODUCT, value)).id for value in ORDERS]
    await om.start_order(ALICE, Kind.PRODUCT, ids[1])
    await om.add_milestone(NOC, Kind.PRODUCT, ids[1], {"name": "survey", "status": "done"})
    assert await _ids(om, _c("milestones.name", Op.EQ, "survey")) == ["q-2"]
    assert await _ids(om, _c("milestones.status", Op.NE, "done")) == ["q-1", "q-3"]
    assert await _ids(om, _c("parent.orderId", Op.EQ, "nothing")) == []
