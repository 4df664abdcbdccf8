"""``python -m bench.report`` runs end to end with a small book, so its code cannot rot (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import report as bench_report
from tests.conftest import PG_SERVER


@pytest.mark.postgres
def test_the_report_benchmark_loads_its_book_and_prints_each_case(capsys):
    assert bench_report.main(["--orders", "300", "--repeat", "1", "--pg-url", PG_SERVER, "--explain"]) == 0
    out = capsys.readouterr().out
    assert "loaded 300 orders" in out
    rows = [line.split() for line in out.splitlines() if line.startswith(("admin,", "one client,"))]
    assert len(rows) == 4
    assert rows[1][6] == "300"  # every kind over 90 days: the whole book
    assert "GroupAggregate" in out or "HashAggregate" in out  # the plan was printed
