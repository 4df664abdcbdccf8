"""Each benchmark runs end to end with tiny counts, so its code cannot rot.

No timing is asserted: the figures are for people to read (docs/benchmarks.md).
"""

from __future__ import annotations

import pytest

from bench import core as bench_core
from bench import rest as bench_rest
from bench.measure import Figures, slice_sizes
from tests.conftest import PG_SERVER


def _table_rows(output: str) -> list[str]:
    """The table's lines (a verdict line also starts with the backend, but names it with a colon)."""
    return [
        line for line in output.splitlines() if line.startswith(("sqlite ", "postgres ")) and ":" not in line
    ]


def test_figures_rate_percentiles_and_ratio():
    raw = Figures("postgres", "raw", 4, 2.0, [0.004, 0.001, 0.003, 0.002])
    measured = Figures("postgres", "create", 4, 4.0, [0.01] * 4, baseline=raw)
    assert raw.rate == 2.0
    assert raw.percentile_ms(50) == pytest.approx(2.0)
    assert raw.percentile_ms(99) == pytest.approx(4.0)
    assert measured.ratio == pytest.approx(0.5)


def test_slices_cover_every_order_once():
    assert slice_sizes(10, 4) == [3, 3, 2, 2]
    assert slice_sizes(3, 8) == [1, 1, 1]
    assert slice_sizes(5, 1) == [5]


@pytest.mark.postgres
def test_core_benchmark_runs_on_both_stores(tmp_path, capsys):
    argv = ["--orders", "20", "--lifecycles", "5", "--concurrency", "4", "--slices", "2"]
    assert bench_core.main([*argv, "--pg-url", PG_SERVER, "--sqlite-dir", str(tmp_path)]) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert [r.split()[0] for r in rows] == ["sqlite", "sqlite", *["postgres"] * 4]
    assert any("raw, one statement" in r for r in rows)
    create = next(r for r in rows if r.startswith("postgres") and " create " in r and "raw" not in r)
    assert create.rstrip().endswith("%")
    assert list(tmp_path.iterdir()) == []  # the SQLite file went with its run


@pytest.mark.postgres
def test_rest_benchmark_posts_to_the_gateway_and_the_raw_server(capsys):
    argv = ["--orders", "20", "--concurrency", "4", "--slices", "2", "--pg-url", PG_SERVER]
    assert bench_rest.main(argv) == 0
    rows = _table_rows(capsys.readouterr().out)
    assert len(rows) == 2
    assert "raw aiohttp+asyncpg" in rows[0]
    assert "ordergate REST" in rows[1]
    assert rows[1].rstrip().endswith("%")
