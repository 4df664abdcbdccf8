"""Every conformance scenario through the in-process core driver, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from adapters.sql import SqlaOrderStore
from tests.conformance import runner
from tests.conformance.drivers.core import CoreDriver
from tests.proxy import proxy_for, through

SUITE = runner.load()
CASES = {case.name: case for case in runner.cases(SUITE)}


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if not case.outage])
async def test_scenario_through_the_core(sql_store, name):
    trace = await runner.run_case(CoreDriver(sql_store, runner.switched_off(SUITE), runner.catalog_path(SUITE)), CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)


@pytest.mark.postgres
@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case.outage])
async def test_scenario_with_a_database_outage_through_the_core(sql_store, name):
    proxy = await proxy_for(sql_store.url)
    store = SqlaOrderStore(through(sql_store.url, proxy.port))
    try:
        driver = CoreDriver(store, runner.switched_off(SUITE), runner.catalog_path(SUITE))
        driver.outage = proxy.outage  # type: ignore[attr-defined]
        trace = await runner.run_case(driver, CASES[name], SUITE)
        assert len(trace) == len(CASES[name].steps)
    finally:
        await store.close()
        await proxy.close()


def test_the_illegal_transition_section_covers_every_state_and_move():
    section = SUITE["illegalTransitions"]
    states = [entry["state"] for entry in section["states"]]
    assert sorted(states) == sorted(
        [
            "acknowledged",
            "inProgress",
            "pending",
            "held",
            "assessingCancellation",
            "pendingCancellation",
            "completed",
            "partial",
            "failed",
            "rejected",
            "cancelled",
        ]
    )
    for entry in section["states"]:
        assert set(entry["legal"]) <= set(section["moves"]), entry["state"]
    expanded = sum(len(section["moves"]) - len(entry["legal"]) for entry in section["states"])
    assert expanded > 200  # one step per illegal move in each state


def test_a_profile_carrying_two_operations_alike_skips_the_indistinguishable_moves():
    class Alike:
        name = "alike"
        alike = {"startOrderByKey": "resumeOrderByKey", "resumeOrderByKey": "startOrderByKey"}

    held = next(c for c in runner.cases(SUITE, Alike()) if c.name == "illegal transitions from held")  # type: ignore[arg-type]
    plain = CASES["illegal transitions from held"]
    dropped = {s.get("note") for s in plain.steps} - {s.get("note") for s in held.steps}
    assert dropped == {"start is illegal from held"}


@pytest.mark.parametrize(
    ("expect", "words"),
    [
        ({"state": "held", "events": ["OrderStateChange"]}, ["order state inProgress, expected held"]),
        ({"state": "inProgress"}, ["events of", "OrderStateChange acknowledged->inProgress", "expected []"]),
        ({"error": "illegalState"}, ["success, expected illegalState"]),
        ({"state": "inProgress", "events": ["OrderCreate"]}, ["expected ['OrderCreate']"]),
    ],
)
async def test_the_runner_reports_a_disagreement_naming_scenario_and_step(expect, words):
    from adapters.memory import MemoryOrderStore

    case = runner.Case(
        "a deliberately wrong scenario",
        "serviceOrder",
        (
            {
                "actor": "alice",
                "operation": "createOrderByValue",
                "args": {"value": "@oneItem"},
                "as": "o1",
                "expect": {"events": ["OrderCreate"]},
            },
            {"actor": "alice", "operation": "startOrderByKey", "args": {"id": "$o1"}, "expect": expect},
        ),
    )
    with pytest.raises(runner.ScenarioFailed) as caught:
        await runner.run_case(CoreDriver(MemoryOrderStore()), case, SUITE)
    message = str(caught.value)
    assert "[core] scenario 'a deliberately wrong scenario', step 2 (alice startOrderByKey" in message
    for word in words:
        assert word in message, message
