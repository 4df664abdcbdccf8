"""The four profiles give identical semantics: their traces of every scenario agree step by step.

Runs last (see conftest): it compares the traces the profile suites recorded in
this session — the same states (TMF and OSS/J names mapped back to canonical
by each driver), item states, error kinds and events, step by step.
"""

from __future__ import annotations

import pytest

from adapters.xml.operations import XmlOrderOperations
from tests.conformance import runner, traces
from tests.conformance.runner import TraceEntry

SUITE = runner.load()
PROFILE_MODULES = {f"test_{p}_profile.py": p for p in traces.PROFILES}


def _profiles_in_session(session: pytest.Session) -> set[str]:
    return {PROFILE_MODULES[i.path.name] for i in session.items if i.path.name in PROFILE_MODULES}


def test_every_scenario_gives_the_same_trace_in_every_profile(request: pytest.FixtureRequest):
    ran = _profiles_in_session(request.session)
    if len(ran) < 2:
        pytest.skip("run with at least two profile suites to compare them")
    assert runner.TRACES, "the profile suites recorded no trace"
    recorded = {p for runs in runner.TRACES.values() for p, _ in runs}
    assert recorded == ran, f"profiles collected {sorted(ran)} but traces from {sorted(recorded)}"
    problems = traces.disagreements(runner.TRACES)
    assert not problems, "\n\n".join(problems)


def test_every_operation_ran_in_every_profile(request: pytest.FixtureRequest):
    ran = _profiles_in_session(request.session)
    if ran != set(traces.PROFILES):
        pytest.skip("needs all four profile suites in the session")
    operations, _errors = traces.coverage(runner.TRACES)
    empty = [
        f"{op} x {p}"
        for op in XmlOrderOperations.operation_names()
        for p in traces.PROFILES
        if not operations[(op, p)]
    ]
    assert not empty, f"operations never run: {empty}"


def _entry(label: str, error: str | None, state: str, events: list[str]) -> TraceEntry:
    return TraceEntry(1, label, error, {"id-x": (state, {"i1": state})}, {"id-x": events}, "startOrderByKey")


def test_a_difference_is_reported_with_the_step_where_profiles_part():
    core = [
        _entry("alice createOrderByValue", None, "acknowledged", ["OrderCreate"]),
        _entry("alice startOrderByKey", None, "inProgress", ["OrderStateChange acknowledged->inProgress"]),
    ]
    rest = [
        _entry("alice createOrderByValue", None, "acknowledged", ["OrderCreate"]),
        _entry("alice startOrderByKey", "illegalState", "acknowledged", []),
    ]
    (message,) = traces.disagreements({"demo": [("core", core), ("rest", rest)]})
    assert "core and rest part at step 2 (alice startOrderByKey" in message
    assert "illegalState" in message
    assert "OrderStateChange acknowledged->inProgress" in message


def test_order_ids_do_not_count_and_skipped_twin_moves_align():
    core = [
        _entry("create", None, "acknowledged", ["OrderCreate"]),
        _entry("start is illegal", "illegalState", "acknowledged", []),
        _entry("resume is illegal", "illegalState", "acknowledged", []),
    ]
    rest = [
        TraceEntry(
            1,
            "create",
            None,
            {"other-id": ("acknowledged", {"i1": "acknowledged"})},
            {"other-id": ["OrderCreate"]},
            "startOrderByKey",
        ),
        TraceEntry(
            3,
            "resume is illegal",
            "illegalState",
            {"other-id": ("acknowledged", {"i1": "acknowledged"})},
            {"other-id": []},
            "startOrderByKey",
        ),
    ]
    assert traces.disagreements({"demo": [("core", core), ("rest", rest)]}) == []


CASES_WITH_OUTAGES = {case.name for case in runner.cases(runner.load()) if case.outage}


def test_every_error_kind_was_seen_in_every_profile(request: pytest.FixtureRequest):
    from core.domain.errors import ERROR_KINDS

    ran = _profiles_in_session(request.session)
    if ran != set(traces.PROFILES):
        pytest.skip("needs all four profile suites in the session")
    _operations, errors = traces.coverage(runner.TRACES)
    kinds = [k.kind for k in ERROR_KINDS]
    if not any(CASES_WITH_OUTAGES & set(runner.TRACES)):
        kinds.remove("remote")  # only the PostgreSQL runs take the database away
    empty = [f"{kind} x {p}" for kind in kinds for p in traces.PROFILES if not errors[(kind, p)]]
    assert not empty, f"error kinds never seen: {empty}"
