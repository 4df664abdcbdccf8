"""``ordergate bench history`` runs end to end with short histories, so its code cannot rot (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import history
from tests.conftest import PG_SERVER


@pytest.mark.postgres
def test_the_history_benchmark_prints_a_figure_per_store_and_length(capsys):
    assert history.main(["--at", "3,12", "--sample", "2", "--pg-url", PG_SERVER]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if "ms per change" in line]
    assert [(r[0], r[2]) for r in rows] == [("sqlite", "3:"), ("sqlite", "12:"), ("postgres", "3:"), ("postgres", "12:")]
