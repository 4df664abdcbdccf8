"""``ordergate bench curve``: creates per second and p99 against concurrency, per profile and worker count.

For each worker count (``--workers 1,2``) it starts ``ordergate serve`` as an
operator would (its own process or processes, a fresh PostgreSQL database, a
vhost of its own on the broker when ``rabbitmqctl`` can make one), and for
each profile and concurrency drives closed-loop creates from this process:
REST ``POST serviceOrder``, SOAP ``createOrderByValue``, AMQP
``createOrderByValueRequest`` with its reply awaited.  Each point is warmed
up first; the figures are written as JSON (``--json``) and, with ``--plot``,
drawn by ``bench.plot`` (matplotlib: ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bench.amqp import LoadClient, request_body
from bench.measure import machine_line, run_load
from bench.rest import JSON_HEADERS, service_order
from bench.scratch import DEFAULT_PG_SERVER, scratch_postgres
from bench.soap import HEADERS as SOAP_HEADERS
from bench.soap import PATH as SOAP_PATH
from bench.soap import envelope

PROFILES = ("rest", "soap", "amqp")
ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
Operation = Callable[[int], Awaitable[object]]


@dataclass(frozen=True)
class Point:
    """One measured point of a curve."""

    profile: str
    workers: int
    concurrency: int
    orders: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0


def _numbers(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("whole numbers of at least 1, comma-separated")
    return values


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="ordergate bench curve", description=__doc__.split("\n\n")[0])
    p.add_argument("--profiles", default=",".join(PROFILES), help="comma-separated: rest, soap, amqp")
    p.add_argument("--workers", type=_numbers, default=[1, 2], help="worker counts (default 1,2)")
    p.add_argument("--concurrency", type=_numbers, default=[1, 4, 16, 64], help="default 1,4,16,64")
    p.add_argument("--orders", type=int, default=400, help="creates per point (default 400)")
    p.add_argument("--pg-url", default=DEFAULT_PG_SERVER, help="PostgreSQL server to create the database on")
    p.add_argument(
        "--amqp-url", default="amqp://guest:guest@127.0.0.1/", help="the broker (its vhost is ignored)"
    )
    p.add_argument("--json", type=Path, help="write the points here")
    p.add_argument(
        "--plot",
        type=Path,
        nargs="?",
        const=Path("docs/scale.png"),
        help="draw the PNG (default docs/scale.png)",
    )
    args = p.parse_args(argv)
    args.profiles = [name.strip() for name in args.profiles.split(",") if name.strip()]
    if not set(args.profiles) <= set(PROFILES) or args.orders < 1:
        p.error(f"--profiles among {', '.join(PROFILES)}; --orders at least 1")
    return args


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _vhost(amqp_url: str) -> Iterator[str | None]:
    """A vhost of the run's own (guest may use it), or None when ``rabbitmqctl`` is not here."""
    if shutil.which("rabbitmqctl") is None:
        yield None
        return
    name = f"ordergate_curve_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    subprocess.run(["rabbitmqctl", "-q", "add_vhost", name], check=True, capture_output=True)
    try:
        subprocess.run(
            ["rabbitmqctl", "-q", "set_permissions", "-p", name, "guest", ".*", ".*", ".*"],
            check=True,
            capture_output=True,
        )
        parts = urlsplit(amqp_url)
        yield urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", name], capture_output=True)


@contextlib.asynccontextmanager
async def gateway(database: str, amqp_url: str | None, workers: int) -> AsyncIterator[str]:
    """``ordergate serve --workers N`` on a free loopback port, until it is ready; stopped on exit."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORDERGATE_", "PROMETHEUS_"))}
    env |= {
        "ORDERGATE_DATABASE_URL": database,
        "ORDERGATE_PORT": str(port),
        "ORDERGATE_WORKERS": str(workers),
    }
    env |= {"ORDERGATE_LOG_LEVEL": "warning"} | ({"ORDERGATE_AMQP_URL": amqp_url} if amqp_url else {})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ordergate.cli", "serve", env=env, stdout=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await _ready(url, process)
        yield url
    finally:
        if process.returncode is None:
            process.terminate()
            await asyncio.wait_for(process.wait(), 60)


async def _ready(url: str, process: asyncio.subprocess.Process, seconds: float = 180.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession() as http:
        while asyncio.get_running_loop().time() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"ordergate serve exited ({process.returncode})")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/readyz") as response:
                    if response.status == 200:
                        await asyncio.sleep(2.0)  # every worker up, not only the first
                        return
            await asyncio.sleep(0.5)
    raise RuntimeError("ordergate serve never became ready")


def _checked(status: int, wanted: int, what: str) -> None:
    if status != wanted:
        raise RuntimeError(f"{what} answered {status}")


def rest_create(http: aiohttp.ClientSession, url: str) -> Operation:
    async def create(i: int) -> None:
        async with http.post(url + ORDERS, data=json.dumps(service_order(i)), headers=JSON_HEADERS) as r:
            await r.read()
            _checked(r.status, 201, "REST create")

    return create


def soap_create(http: aiohttp.ClientSession, url: str) -> Operation:
    async def create(i: int) -> None:
        async with http.post(url + SOAP_PATH, data=envelope(i), headers=SOAP_HEADERS) as r:
            await r.read()
            _checked(r.status, 200, "SOAP create")

    return create


def amqp_create(client: LoadClient) -> Operation:
    async def create(i: int) -> None:
        reply = await client.request("ordergate.requests", request_body(i))
        if reply.headers.get("OSS_MESSAGE_TYPE") != "RESPONSE":
            raise RuntimeError(f"AMQP create answered {reply.body[:200]!r}")

    return create


async def measure(profile: str, workers: int, concurrency: int, orders: int, operation: Operation) -> Point:
    await run_load(max(concurrency, orders // 10), concurrency, lambda i: operation(10_000_000 + i))
    seconds, latencies = await run_load(orders, concurrency, operation)
    ordered = sorted(latencies)
    p50, p99 = (ordered[max(0, int(q * len(ordered) + 0.999) - 1)] * 1000 for q in (0.50, 0.99))
    return Point(profile, workers, concurrency, orders, seconds, p50, p99)


async def _profile_points(args: argparse.Namespace, url: str, amqp: str | None, workers: int) -> list[Point]:
    points: list[Point] = []
    top = max(args.concurrency)
    connector = aiohttp.TCPConnector(limit=top)
    async with aiohttp.ClientSession(connector=connector) as http:
        client = await LoadClient(amqp).open() if amqp and "amqp" in args.profiles else None
        try:
            for profile in args.profiles:
                if profile == "amqp" and client is None:
                    print(
                        "bench curve: no vhost of its own (rabbitmqctl missing): AMQP skipped",
                        file=sys.stderr,
                    )
                    continue
                operation = {
                    "rest": lambda: rest_create(http, url),
                    "soap": lambda: soap_create(http, url),
                    "amqp": lambda: amqp_create(client),  # type: ignore[arg-type]
                }[profile]()
                for concurrency in args.concurrency:
                    point = await measure(profile, workers, concurrency, args.orders, operation)
                    print(_line(point), flush=True)
                    points.append(point)
        finally:
            if client is not None:
                await client.close()
    return points


async def run(args: argparse.Namespace) -> list[Point]:
    points: list[Point] = []
    with _vhost(args.amqp_url) as amqp:
        for workers in args.workers:
            async with (
                scratch_postgres(args.pg_url, "curve") as database,
                gateway(database, amqp, workers) as url,
            ):
                points += await _profile_points(args, url, amqp, workers)
    return points


def _line(p: Point) -> str:
    return (
        f"{p.profile:<5} {p.workers:>7} {p.concurrency:>11} {p.orders:>7} {p.rate:>9.1f} "
        f"{p.p50_ms:>8.1f} {p.p99_ms:>8.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    print(f"ordergate bench curve: {args.orders} creates per point; {machine_line()}")
    print("profile workers concurrency  orders  orders/s   p50 ms   p99 ms")
    points = asyncio.run(run(args))
    record = {
        "machine": machine_line(),
        "load_average": os.getloadavg(),
        "points": [asdict(p) for p in points],
    }
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    if args.plot:
        from bench.plot import draw

        draw(points, args.plot, machine_line())
        print(f"plot written to {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
