"""``ordergate bench amqp`` runs end to end with tiny counts, so its code cannot rot (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import amqp as bench_amqp
from tests.conftest import PG_SERVER

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def test_the_benchmark_measures_the_gateway_beside_the_raw_baseline_and_the_echo(amqp_url, capsys):
    argv = [
        "--orders",
        "20",
        "--concurrency",
        "4",
        "--slices",
        "2",
        "--processes",
        "2",
        "--pg-url",
        PG_SERVER,
        "--amqp-url",
        amqp_url,
    ]
    assert bench_amqp.main(argv) == 0
    out = capsys.readouterr().out
    rows = [line for line in out.splitlines() if line.startswith(("rabbitmq ", "postgres "))]
    assert "raw aio-pika echo" in rows[0]
    assert "raw durable (by hand)" in rows[1]
    assert "createOrderByValue" in rows[2]
    assert rows[2].rstrip().endswith("%")
    assert "of the raw baseline (target 60%)" in out
    assert "of the raw aio-pika echo" in out
    assert "2 processes of each responder" in out
    assert "CPU per request" in out
    assert "  gateway: responder " in out
    assert "  raw: responder " in out
    assert "peak RSS of gateway responder" in out


def test_the_diagnosis_without_the_relay_says_so_and_gives_no_verdict(amqp_url, capsys):
    argv = ["--orders", "10", "--concurrency", "2", "--slices", "1", "--without-relay"]
    assert bench_amqp.main([*argv, "--pg-url", PG_SERVER, "--amqp-url", amqp_url]) == 0
    out = capsys.readouterr().out
    assert "without its outbox relay" in out
    assert "diagnosis only" in out
    assert "target 60%" not in out
