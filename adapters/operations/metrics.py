"""The gateway's Prometheus instruments, on a registry of its own (never the library's global one).

Two modes, chosen by the environment as the client library chooses its value
store, at import time:

* one process: the instruments live in this registry and a scrape reads them;
* several workers on a host (``PROMETHEUS_MULTIPROC_DIR`` set, as the worker
  supervisor does): every worker writes its instruments to files in that
  directory, and a scrape of any worker adds up every worker's files, so the
  figures are the host's.  Gauges of a process's own state (connections in
  use, requests in flight) are summed over the live workers only (``livesum``):
  the supervisor removes a dead worker's gauge files; its counters stay, so a
  host's totals never go back when a worker is replaced.

Label values are bounded: a profile is one of ``PROFILES``, an operation one
of the names the composition root hands in (REST: the route template, never
the raw path), an outcome one of ``OUTCOMES`` (``ok``, the core's error kinds,
and a few the transports have of their own); anything else is counted as
``other``, so no caller can grow the number of series.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from core.domain.errors import ERROR_KINDS

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

PROFILES = ("rest", "soap", "amqp", "http")
# outcomes the transports have besides the core's error kinds: a caller not identified, a
# request refused before any operation (bad media type, malformed, too large, unknown path), an
# AMQP request no reply can answer (dead-lettered), a failure nobody named (a bug)
TRANSPORT_OUTCOMES = ("unauthenticated", "refused", "deadLettered", "internal")
CORE_KINDS = tuple(dict.fromkeys(kind.kind for kind in ERROR_KINDS))
OUTCOMES = ("ok", *CORE_KINDS, *TRANSPORT_OUTCOMES, "other")
LATENCY_BUCKETS = (0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0)
OTHER = "other"


def multiprocess_dir() -> str | None:
    """The shared directory of the workers' figures, when this process is one of several."""
    return os.environ.get(MULTIPROC_ENV) or None


class GatewayMetrics:
    """The registry and every instrument the profiles and workers report to."""

    def __init__(self, operations: Collection[str] = (), *, multiprocess: str | None = None) -> None:
        self.multiprocess = multiprocess if multiprocess is not None else multiprocess_dir()
        self.registry = CollectorRegistry(auto_describe=True)
        # in multiprocess mode the instruments write to files only; the scrape reads the files
        own = None if self.multiprocess else self.registry
        self._operations = frozenset(operations)
        self.requests = Counter(
            "ordergate_requests",
            "Requests answered, by profile, operation and outcome (ok or the error kind)",
            ["profile", "operation", "outcome"],
            registry=own,
        )
        self.latency = Histogram(
            "ordergate_request_duration_seconds",
            "Time to answer a request, by profile and operation",
            ["profile", "operation"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )
        self.http_in_flight = _live_gauge(
            "ordergate_http_requests_in_flight", "HTTP requests being served", own
        )
        self.amqp_in_flight = _live_gauge(
            "ordergate_amqp_requests_in_flight", "AMQP requests taken from the queue and not settled", own
        )
        self.dead_lettered = Counter(
            "ordergate_amqp_dead_lettered",
            "AMQP requests sent to the dead-letter queue (no reply could answer them)",
            registry=own,
        )
        self.pool_in_use = _live_gauge(
            "ordergate_database_connections_in_use", "Database connections checked out", own, ["pool"]
        )
        self.pool_size = _live_gauge(
            "ordergate_database_connections_max", "Database connections a pool may open", own, ["pool"]
        )
        self._relay(own)
        self._hub(own)

    def _relay(self, own: CollectorRegistry | None) -> None:
        self.relay_published = Counter(
            "ordergate_relay_published_events", "Events the outbox relay published", registry=own
        )
        self.relay_retries = Counter(
            "ordergate_relay_retries",
            "Batches the outbox relay must publish again, by reason (failed, late)",
            ["reason"],
            registry=own,
        )
        self.relay_lag = Histogram(
            "ordergate_relay_lag_seconds",
            "From an event's change to its publication by the relay",
            buckets=LAG_BUCKETS,
            registry=own,
        )

    def _hub(self, own: CollectorRegistry | None) -> None:
        self.hub_attempts = Counter(
            "ordergate_hub_delivery_attempts",
            "Hub delivery attempts, by outcome (delivered, retry, failed: given up, suspended)",
            ["outcome"],
            registry=own,
        )
        self.hub_retries = Counter(
            "ordergate_hub_delivery_retries",
            "Hub delivery attempts that were not a delivery's first",
            registry=own,
        )
        self.hub_lag = Histogram(
            "ordergate_hub_delivery_lag_seconds",
            "From an event's change to its delivery to a hub listener",
            buckets=LAG_BUCKETS,
            registry=own,
        )

    # ------------------------------------------------------------------ what the observers report

    def request(self, profile: str, operation: str, outcome: str, seconds: float) -> None:
        """One request answered (or given up): counted under bounded labels, its latency observed."""
        profile = profile if profile in PROFILES else OTHER
        operation = self.operation(profile, operation)
        self.requests.labels(profile, operation, outcome if outcome in OUTCOMES else OTHER).inc()
        self.latency.labels(profile, operation).observe(max(0.0, seconds))
        if outcome == "deadLettered":
            self.dead_lettered.inc()

    def operation(self, profile: str, name: str) -> str:
        """SOAP and AMQP: ``name`` when it is one of the gateway's operations, else ``other``.  REST
        and the rest of HTTP name a route template of the application (bounded by its routes)."""
        return name if profile in ("rest", "http") or name in self._operations else OTHER

    def relay(self, outcome: str, occurred: Iterable[datetime]) -> None:
        """A relay batch: published (its lag observed per event), failed, or late."""
        if outcome != "published":
            self.relay_retries.labels("failed" if outcome == "failed" else "late").inc()
            return
        now = datetime.now(UTC)
        for at in occurred:
            self.relay_published.inc()
            self.relay_lag.observe(max(0.0, (now - at).total_seconds()))

    def hub(self, outcome: str, attempts_before: int, occurred: datetime | None) -> None:
        """One hub delivery attempt and its outcome; a delivered event's lag."""
        outcome = outcome if outcome in ("delivered", "retry", "failed", "suspended") else OTHER
        self.hub_attempts.labels(outcome).inc()
        if attempts_before:
            self.hub_retries.inc()
        if outcome == "delivered" and occurred is not None:
            self.hub_lag.observe(max(0.0, (datetime.now(UTC) - occurred).total_seconds()))

    # ------------------------------------------------------------------ the scrape

    def exposition(self, *extra: Collector) -> bytes:
        """The text a scrape gets: every worker's instruments (or this process's), and ``extra``
        collectors computed by the process answering (figures of the database: counted once)."""
        registry = self.registry
        if self.multiprocess:
            registry = CollectorRegistry(auto_describe=False)
            MultiProcessCollector(registry, self.multiprocess)  # type: ignore[no-untyped-call]
        elif extra:
            registry = CollectorRegistry(auto_describe=False)
            registry.register(_Registered(self.registry))
        for collector in extra:
            registry.register(collector)
        return generate_latest(registry)


def _live_gauge(
    name: str, documentation: str, own: CollectorRegistry | None, labels: Iterable[str] = ()
) -> Gauge:
    return Gauge(name, documentation, list(labels), registry=own, multiprocess_mode="livesum")


class _Registered(Collector):
    """This process's registry as one collector of the scrape's registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self):  # type: ignore[no-untyped-def]
        return self._registry.collect()
