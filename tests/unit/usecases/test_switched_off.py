"""Optional operations a deployment switches off: parsed once, refused by the core in every form."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryOrderStore
from core.domain.errors import UnsupportedOperation
from core.domain.model import Caller, Kind, Role
from core.domain.states import State
from core.usecases import OrderManagement, Settings
from core.usecases.management import OPTIONAL_OPERATIONS, parse_switched_off
from ordergate.cli import main

ALICE = Caller("alice")
NOC = Caller("noc", frozenset({Role.FULFILLER}))
VALUE = {"items": [{"id": "1", "action": "add", "entity": {"specification": {"id": "fibre"}}}]}


def test_entries_name_an_operation_for_one_kind_or_for_all():
    off = parse_switched_off(" resourceOrder:suspendOrderByKey, getOrderHistoryByKey ,")
    assert off == {"suspendOrderByKey": frozenset({Kind.RESOURCE}), "getOrderHistoryByKey": frozenset(Kind)}
    assert parse_switched_off("") == {}


@pytest.mark.parametrize(
    ("spec", "words"),
    [("startOrderByKey", "only suspendOrderByKey"), ("parcelOrder:suspendOrderByKey", "not an order kind")],
)
def test_an_entry_that_cannot_be_switched_off_is_refused(spec: str, words: str):
    with pytest.raises(ValueError, match=words):
        parse_switched_off(spec)


def test_serve_refuses_an_unusable_setting(monkeypatch, capsys):
    monkeypatch.setenv("ORDERGATE_SWITCHED_OFF", "startOrderByKey")
    assert main(["serve", "--database-url", "sqlite+aiosqlite:///:memory:"]) == 2
    assert "startOrderByKey" in capsys.readouterr().err


async def test_the_client_move_is_refused_by_name_and_by_target_state_the_fulfillers_is_not():
    om = OrderManagement(
        MemoryOrderStore(), Settings(switched_off=parse_switched_off("resourceOrder:suspendOrderByKey"))
    )
    order = await om.create_order(ALICE, Kind.RESOURCE, VALUE)
    await om.start_order(ALICE, None, order.id)
    with pytest.raises(UnsupportedOperation):
        await om.suspend_order(ALICE, None, order.id)
    with pytest.raises(UnsupportedOperation):
        await om.change_order_state(ALICE, Kind.RESOURCE, order.id, State.HELD)  # a REST PATCH of state
    held = await om.change_order_state(NOC, None, order.id, State.HELD)  # the fulfiller's hold
    assert held.state is State.HELD
    assert held.version == 3
    other = await om.create_order(ALICE, Kind.SERVICE, VALUE)
    await om.start_order(ALICE, None, other.id)
    assert (await om.suspend_order(ALICE, None, other.id)).state is State.HELD  # other kinds: offered


async def test_history_and_feasibility_switched_off_everywhere_are_no_longer_listed():
    off = parse_switched_off("getOrderHistoryByKey,workOrder:checkOrderFeasibility")
    om = OrderManagement(MemoryOrderStore(), Settings(switched_off=off))
    order = await om.create_order(ALICE, Kind.WORK, VALUE)
    with pytest.raises(UnsupportedOperation, match="getOrderHistoryByKey is not offered for workOrder"):
        await om.get_order_history(ALICE, None, order.id)
    with pytest.raises(UnsupportedOperation):
        om.check_feasibility(ALICE, Kind.WORK, VALUE)
    assert om.check_feasibility(ALICE, Kind.SERVICE, VALUE).feasible
    listed = om.get_supported_optional_operations()
    assert "getOrderHistoryByKey" not in listed
    assert "checkOrderFeasibility" in listed
    assert "checkOrderFeasibility" not in om.get_supported_optional_operations(Kind.WORK)
    assert len(listed) == len(OPTIONAL_OPERATIONS) - 1


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_malformed_number_in_the_environment_ends_the_command_with_a_clear_error(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("ORDERGATE_WORKERS", "two")
    assert main([command, "--database-url", "sqlite+aiosqlite:///:memory:"]) == 2
    assert f"ordergate {command}: ORDERGATE_WORKERS must be an integer, not 'two'" in capsys.readouterr().err
