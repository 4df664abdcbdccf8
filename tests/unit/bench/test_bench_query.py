"""``bench query`` runs end to end with tiny counts, so its code cannot rot (``bench amqp``:
tests/integration/amqp/test_bench_amqp.py).

No timing is asserted: the figures are for people to read (docs/benchmarks.md).
"""

from __future__ import annotations

import pytest

from bench import query as bench_query
from bench.measure import peak_rss_bytes
from bench.query_data import order_row, templates
from tests.conftest import PG_SERVER


def test_peak_rss_is_read_from_proc():
    import os

    peak = peak_rss_bytes(os.getpid())
    assert peak is None or peak > 1024 * 1024


async def test_generated_orders_are_stored_documents_that_vary():
    import json

    import orjson

    shapes = {kind: orjson.dumps(doc) for kind, doc in (await templates()).items()}
    first, second = (
        order_row("serviceOrder", shapes["serviceOrder"], 1),
        order_row("serviceOrder", shapes["serviceOrder"], 2),
    )
    assert first[0] != second[0]
    doc = json.loads(first[-1])
    assert (doc["id"], doc["clientId"], doc["state"]) == (first[0], first[2], first[3])
    assert doc["items"]
    assert all(item["state"] for item in doc["items"])


@pytest.mark.postgres
def test_query_benchmark_loads_a_book_and_reads_it_over_rest(capsys):
    argv = [
        "--orders",
        "300",
        "--requests",
        "6",
        "--deep-requests",
        "2",
        "--concurrency",
        "2",
        "--slices",
        "1",
    ]
    assert bench_query.main([*argv, "--pg-url", PG_SERVER]) == 0
    out = capsys.readouterr().out
    for label in ("get by id", "list by state", "cursor at", "count=estimate"):
        assert label in out
    assert "peak RSS of gateway" in out
