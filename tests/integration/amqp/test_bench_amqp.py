"""``ordergate bench amqp`` runs end to end with tiny counts, so its code cannot rot (no timing asserted)."""

from __future__ import annotations

import pytest

from bench import amqp as bench_amqp
from tests.conftest import PG_SERVER

pytestmark = [pytest.mark.rabbitmq, pytest.mark.postgres]


def test_the_benchmark_measures_the_gateway_beside_the_echo_responder(amqp_url, capsys):
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
    assert "createOrderByValue" in rows[1]
    assert rows[1].rstrip().endswith("%")
    assert "target 50%" in out
    assert "2 processes of each responder" in out
    assert "CPU per request" in out
    assert "  gateway: responder " in out


def test_the_diagnosis_without_the_relay_says_so_and_gives_no_verdict(amqp_url, capsys):
    argv = ["--orders", "10", "--concurrency", "2", "--slices", "1", "--without-relay"]
    assert bench_amqp.main([*argv, "--pg-url", PG_SERVER, "--amqp-url", amqp_url]) == 0
    out = capsys.readouterr().out
    assert "without its outbox relay" in out
    assert "diagnosis only" in out
    assert "target 50%" not in out
