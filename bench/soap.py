"""``ordergate bench soap``: createOrderByValue over real HTTP, beside a plain spyne echo service.

The gateway (``build_app`` on a fresh PostgreSQL database) and the baseline
(``bench.soap_echo``: spyne under wsgiref, echoing the order, no database)
each run in a process of their own on a free loopback port; this process
drives both with the same envelope at a fixed concurrency, in alternating
rounds.  Target: the gateway, database work included, creates orders at
least as fast as the echo service merely echoes them.

It also measures what the SOAP threading model is for.  A probe GETs
``/healthz`` (the event loop alone) and ``/readyz`` (a database round trip,
as any REST or AMQP request makes) every 20 ms: idle, under the create load,
and under a stream of ~900 KB envelopes -- parsed and XSD-validated, then
refused for one invalid value near the end, so no core work blurs the
figure -- once with the gateway's default off-loop decoding and once with
all envelope work kept on the loop.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import aiohttp

from adapters.xml import NS
from bench.measure import PEAKS, Figures, Runner, best, machine_line, server_process, table
from bench.scratch import DEFAULT_PG_SERVER, scratch_postgres

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PATH = "/soap/OrderManagement"
HEADERS = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"createOrderByValue"'}
ITEM = (
    "<om:item><om:id>{id}</om:id><om:action>{action}</om:action><om:entity><om:specification>"
    "<om:id>fibre-access</om:id></om:specification><om:characteristic><om:name>bandwidth</om:name>"
    "<om:value>1G</om:value></om:characteristic></om:entity></om:item>"
)


def envelope(i: int, items: str | None = None) -> bytes:
    """The createOrderByValue request both services take: a two-item service order."""
    items = items or (
        ITEM.format(id=1, action="add") + "<om:item><om:id>2</om:id><om:action>add</om:action><om:entity>"
        "<om:specification><om:id>managed-router</om:id></om:specification></om:entity><om:relationship>"
        "<om:type>dependsOn</om:type><om:itemId>1</om:itemId></om:relationship></om:item>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="{SOAP_ENV}" xmlns:om="{NS}">'
        f"<soap:Body><om:createOrderByValueRequest><om:serviceOrderValue><om:externalId>bench-{i}"
        "</om:externalId><om:priority>4</om:priority><om:requestedStartDate>2031-01-01T10:00:00Z"
        f"</om:requestedStartDate><om:items>{items}</om:items></om:serviceOrderValue>"
        "</om:createOrderByValueRequest></soap:Body></soap:Envelope>"
    ).encode()


def large_invalid_envelope(size: int = 900_000) -> bytes:
    """About ``size`` bytes of items; the last one's action is not in the XSD, so validation fails at the end."""
    items = size // len(ITEM.format(id=10_000, action="add"))
    body = "".join(ITEM.format(id=n, action="add") for n in range(items - 1))
    return envelope(0, body + ITEM.format(id=items, action="explode"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench soap", description=__doc__.split("\n\n")[0])
    p.add_argument("--orders", type=int, default=1000, help="creates per measured run (default 1000)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument("--rounds", type=int, default=2, help="alternating gateway/echo runs; best counts")
    p.add_argument(
        "--loop", choices=["asyncio", "uvloop"], default="asyncio", help="the gateway's event loop"
    )
    p.add_argument("--large", type=int, default=40, help="~900 KB envelopes per loop-stall run (0: skip)")
    p.add_argument(
        "--gateway-extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="GatewaySettings.extra for the gateway, e.g. soap_max_in_flight=32",
    )
    args = p.parse_args(argv)
    if min(args.orders, args.concurrency, args.rounds) < 1 or args.large < 0:
        p.error("--orders, --concurrency and --rounds must be at least 1, --large at least 0")
    return args


class CreatePoster:
    """POSTs numbered createOrderByValue envelopes; anything but a 200 response stops the benchmark."""

    def __init__(self, session: aiohttp.ClientSession, url: str, label: str) -> None:
        self._session = session
        self._url = url
        self.label = label

    async def __call__(self, i: int) -> None:
        async with self._session.post(self._url, data=envelope(i), headers=HEADERS) as response:
            answer = await response.read()
            if response.status != 200 or b"createOrderByValueResponse" not in answer:
                raise RuntimeError(f"{self.label}: answered {response.status}: {answer[:1000]!r}")


@dataclass
class Probe:
    """GETs one URL every ``interval`` seconds until stopped; each latency in seconds."""

    url: str
    interval: float = 0.02
    latencies: list[float] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with aiohttp.ClientSession() as session:  # its own connection: never queued behind the load
            while not stop.is_set():
                started = time.perf_counter()
                async with session.get(self.url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"{self.url} answered {response.status}")
                self.latencies.append(time.perf_counter() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)

    def ms(self, p: float) -> float:
        return Figures("", "", len(self.latencies), 1.0, self.latencies).percentile_ms(p)


@contextlib.asynccontextmanager
async def probing(base_url: str) -> AsyncIterator[tuple[Probe, Probe]]:
    probes = Probe(base_url + "/healthz"), Probe(base_url + "/readyz")
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop)) for p in probes]
    try:
        yield probes
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def idle_probes(base_url: str, seconds: float = 1.0) -> tuple[Probe, Probe]:
    async with probing(base_url) as probes:
        await asyncio.sleep(seconds)
    return probes


async def large_envelopes(base_url: str, count: int, body: bytes) -> tuple[Probe, Probe, float]:
    """Four callers post ``count`` large refused envelopes; the probes run meanwhile."""

    async def post(i: int) -> None:
        async with session.post(base_url + PATH, data=body, headers=HEADERS) as response:
            answer = await response.read()
            if response.status != 500 or b"not valid against the ordermanagement schema" not in answer:
                raise RuntimeError(f"large envelope answered {response.status}: {answer[:500]!r}")

    async with aiohttp.ClientSession() as session, probing(base_url) as probes:
        started = time.perf_counter()
        await Runner(count, 4).measure("-", "large", post, warm=False)
        seconds = time.perf_counter() - started
    return probes[0], probes[1], seconds


@dataclass
class Results:
    echo: Figures
    gateway: Figures
    idle: tuple[Probe, Probe]
    loaded: tuple[Probe, Probe]
    large: dict[str, tuple[Probe, Probe, float]] = field(default_factory=dict)


async def create_rounds(args: argparse.Namespace, gateway_url: str, echo_url: str) -> Results:
    runner = Runner(args.orders, args.concurrency)
    idle = await idle_probes(gateway_url)
    echo_runs, gateway_runs = [], []
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=args.concurrency)) as session,
        probing(gateway_url) as loaded,
    ):
        echo = CreatePoster(session, echo_url + "/", "spyne echo (wsgiref)")
        gateway = CreatePoster(session, gateway_url + PATH, "ordergate SOAP create")
        for r in range(args.rounds):
            echo_runs.append(await runner.measure("none", echo.label, echo, warm=r == 0))
            gateway_runs.append(await runner.measure("postgres", gateway.label, gateway, warm=r == 0))
    echo_best, gateway_best = best(echo_runs), best(gateway_runs)
    gateway_best.baseline = echo_best
    return Results(echo_best, gateway_best, idle, loaded)


async def run(args: argparse.Namespace) -> Results:
    async with scratch_postgres(args.pg_url, "soap") as database:
        async with (
            server_process(
                "bench.soap_gateway", database, f"loop={args.loop}", *args.gateway_extra, label="soap gateway"
            ) as gateway_url,
            server_process("bench.soap_echo", label="soap echo") as echo_url,
        ):
            results = await create_rounds(args, gateway_url, echo_url)
            if args.large:
                body = large_invalid_envelope()
                results.large["off the loop (default)"] = await large_envelopes(gateway_url, args.large, body)
        if args.large:
            on_loop = [*args.gateway_extra, "soap_offload_bytes=1000000000"]
            async with server_process(
                "bench.soap_gateway",
                database,
                f"loop={args.loop}",
                *on_loop,
                label="soap gateway, all on the loop",
            ) as url:
                results.large["all on the loop"] = await large_envelopes(url, args.large, body)
    return results


def _probe_line(label: str, probes: Sequence[Probe]) -> str:
    health, ready = probes
    return (
        f"{label:<44} {health.ms(50):>8.1f} {health.ms(99):>8.1f} {ready.ms(50):>9.1f} {ready.ms(99):>9.1f}"
    )


def report(args: argparse.Namespace, results: Results) -> str:
    ratio = results.gateway.ratio or 0.0
    lines = [
        f"ordergate bench soap: {args.orders} createOrderByValue per run, concurrency {args.concurrency}, "
        f"best of {args.rounds} alternating runs, client in its own process; {machine_line()}",
        table([results.echo, results.gateway]).replace("vs raw", "vs echo"),
        f"SOAP create: {ratio:.0%} of the spyne echo rate (target 100%): {'met' if ratio >= 1 else 'NOT met'}",
        "",
        f"{'other profiles, probed every 20 ms':<44} {'healthz p50/p99 ms':>17} {'readyz p50/p99 ms':>19}",
        _probe_line("idle", results.idle),
        _probe_line(f"under SOAP create at {args.concurrency}", results.loaded),
    ]
    for label, (health, ready, seconds) in results.large.items():
        lines.append(
            _probe_line(f"~900 KB envelopes, {label}", (health, ready))
            + f"   ({args.large / seconds:.1f} env/s)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(report(args, asyncio.run(run(args))))
    print("\n".join(PEAKS.lines()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
