"""The two state name sets and the open/closed split, against DESIGN §2's table."""

from __future__ import annotations

import pytest

from core.domain.errors import IllegalAttributeValue
from core.domain.states import ITEM_STATES, State

# canonical (TMF) -> (OSS/J string, closed?), copied from DESIGN §2
DESIGN_TABLE = {
    "acknowledged": ("open.not_running.not_started", False),
    "inProgress": ("open.running", False),
    "pending": ("open.running.pending", False),
    "held": ("open.not_running.suspended", False),
    "assessingCancellation": ("open.running.assessing_cancellation", False),
    "pendingCancellation": ("open.running.pending_cancellation", False),
    "completed": ("closed.completed", True),
    "partial": ("closed.completed.partial", True),
    "failed": ("closed.aborted.aborted_byserver", True),
    "rejected": ("closed.aborted.aborted_byserver.rejected", True),
    "cancelled": ("closed.aborted.aborted_byclient", True),
}


def test_the_canonical_set_is_the_designs():
    assert {s.tmf for s in State} == set(DESIGN_TABLE)


@pytest.mark.parametrize(("tmf", "ossj", "closed"), [(k, *v) for k, v in DESIGN_TABLE.items()])
def test_each_state_has_the_designs_names_and_openness(tmf, ossj, closed):
    state = State.from_tmf(tmf)
    assert state.ossj == ossj
    assert state.is_closed is closed
    assert state.is_open is not closed
    assert State.from_ossj(ossj) is state
    # the OSS/J rule: a sub-state is "<standard state>.<identifier>"
    assert ossj.startswith("closed." if closed else "open.")


def test_items_have_every_state_but_partial():
    assert {s.tmf for s in ITEM_STATES} == set(DESIGN_TABLE) - {"partial"}


@pytest.mark.parametrize("name", ["done", "open", "closed", "InProgress", ""])
def test_an_unknown_name_is_a_clear_error(name):
    with pytest.raises(IllegalAttributeValue, match="unknown state"):
        State.from_tmf(name)
    with pytest.raises(IllegalAttributeValue, match="unknown state"):
        State.from_ossj(name)
