"""The instruments: bounded labels, outcomes read from the REST error body, the scrape's text."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import orjson
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from adapters.operations.http import rest_outcome
from adapters.operations.metrics import OUTCOMES, GatewayMetrics
from adapters.operations.multiprocess import MetricsDirectory
from core.domain.errors import ERROR_KINDS


def samples(metrics: GatewayMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.exposition().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_every_core_error_kind_is_an_outcome():
    assert {kind.kind for kind in ERROR_KINDS} <= set(OUTCOMES)


def test_labels_outside_the_fixed_sets_are_counted_as_other():
    metrics = GatewayMetrics(["createOrderByValue"], multiprocess="")
    metrics.request("soap", "createOrderByValue", "illegalState", 0.01)
    metrics.request("amqp", "dropTables", "surprise", 0.01)
    found = samples(metrics)
    key = "ordergate_requests_total"
    assert found[
        (key, (("operation", "createOrderByValue"), ("outcome", "illegalState"), ("profile", "soap")))
    ]
    assert found[(key, (("operation", "other"), ("outcome", "other"), ("profile", "amqp")))] == 1


def test_a_dead_lettered_request_is_counted_as_such():
    metrics = GatewayMetrics(multiprocess="")
    metrics.request("amqp", "other", "deadLettered", 0.0)
    assert samples(metrics)[("ordergate_amqp_dead_lettered_total", ())] == 1


def test_rest_outcomes_come_from_the_tmf_error_body():
    def response(status: int, code: str | None) -> web.Response:
        body = orjson.dumps({"code": code, "status": str(status)}) if code else b"oops"
        return web.Response(status=status, body=body)

    assert rest_outcome(response(201, None)) == "ok"
    assert rest_outcome(response(409, "illegalState")) == "illegalState"
    assert rest_outcome(response(409, "duplicateKey")) == "duplicateKey"
    assert rest_outcome(response(401, "unauthenticated")) == "unauthenticated"
    assert rest_outcome(response(415, "unsupportedMediaType")) == "refused"
    assert rest_outcome(response(500, "internalError")) == "internal"
    assert rest_outcome(response(502, None)) == "internal"


def test_relay_and_hub_lag_are_observed_from_the_events_time():
    metrics = GatewayMetrics(multiprocess="")
    metrics.relay("published", [datetime.now(UTC) - timedelta(seconds=2)])
    metrics.relay("failed", [])
    metrics.hub("delivered", 1, datetime.now(UTC) - timedelta(seconds=1))
    found = samples(metrics)
    assert found[("ordergate_relay_published_events_total", ())] == 1
    assert found[("ordergate_relay_lag_seconds_sum", ())] >= 2
    assert found[("ordergate_relay_retries_total", (("reason", "failed"),))] == 1
    assert found[("ordergate_hub_delivery_attempts_total", (("outcome", "delivered"),))] == 1
    assert found[("ordergate_hub_delivery_retries_total", ())] == 1


def test_the_supervisors_directory_is_emptied_at_start_and_a_dead_workers_live_gauges_go(tmp_path):
    (tmp_path / "counter_1.db").write_bytes(b"old run")
    (tmp_path / "keep.txt").write_text("not ours")
    directory = MetricsDirectory.prepare(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["keep.txt"]
    (tmp_path / "gauge_livesum_42.db").write_bytes(b"")
    (tmp_path / "counter_42.db").write_bytes(b"")
    directory.worker_exited(42)
    assert sorted(os.listdir(tmp_path)) == ["counter_42.db", "keep.txt"], "counters outlive their worker"
    directory.remove()
    assert tmp_path.exists(), "the operator's directory stays"


def test_a_directory_of_the_supervisors_own_is_removed_when_it_stops():
    directory = MetricsDirectory.prepare(None)
    assert os.path.isdir(directory.path)
    directory.remove()
    assert not os.path.exists(directory.path)
