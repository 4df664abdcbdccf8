"""``ordergate bench stall``: how long one large REST create, and a read over large orders, hold the event loop.

The gateway runs in this process on a scratch SQLite file (no credentials:
the loopback caller is the local admin), with the body limit raised; beside
each POST of a service order of ``--items`` items (one characteristic each),
a probe sleeps 1 ms in a loop and records the longest it waited: the longest
step of the create that held the loop.  Then, with every order created so far
stored and one of them cancelled, the same probe beside two reads: the list of
cancel tasks without an order id, and one page of orders with ``fields=id``.
Figures are for people to read (docs/security.md); no test asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time

import aiohttp
from aiohttp import web

from bench.measure import machine_line
from bench.scratch import scratch_sqlite
from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings

PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"
CANCEL_PATH = "/tmf-api/serviceOrdering/v4/cancelServiceOrder"


def body(items: int) -> bytes:
    entries = [
        {
            "id": str(i),
            "action": "add",
            "service": {
                "serviceSpecification": {"id": "fibre-100"},
                "serviceCharacteristic": [{"name": "port", "value": f"port-{i:06}"}],
            },
        }
        for i in range(items)
    ]
    return json.dumps({"serviceOrderItem": entries}).encode()


async def _one(
    session: aiohttp.ClientSession, url: str, payload: bytes | None, method: str = "POST"
) -> tuple[int, float, float, bytes]:
    worst, stop = 0.0, asyncio.Event()

    async def probe() -> None:
        nonlocal worst
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            worst = max(worst, time.perf_counter() - start)

    task = asyncio.create_task(probe())
    start = time.perf_counter()
    headers = {"Content-Type": "application/json"}
    async with session.request(method, url, data=payload, headers=headers) as reply:
        answer = await reply.read()
        status = reply.status
    took = time.perf_counter() - start
    stop.set()
    await task
    return status, took, worst, answer


async def _reads(session: aiohttp.ClientSession, base: str, order_id: str, orders: int) -> list[str]:
    cancel = json.dumps({"serviceOrder": {"id": order_id}}).encode()
    status, *_ = await _one(session, base + CANCEL_PATH, cancel)
    if status != 201:
        raise SystemExit(f"cancel: answered {status}")
    lines = []
    for what, path in (
        ("cancel tasks, no order id", CANCEL_PATH),
        (f"{orders} orders, fields=id", f"{PATH}?fields=id&limit={orders}"),
        (f"{orders} orders by an item's state", f"{PATH}?serviceOrderItem.state=acknowledged&fields=id&limit=1"),
    ):
        status, took, stall, _ = await _one(session, base + path, None, "GET")
        if status != 200:
            raise SystemExit(f"{what}: answered {status}")
        lines.append(f"  list {what}: {took * 1000:6.0f} ms, longest hold of the loop {stall * 1000:5.0f} ms")
    return lines


async def run(args: argparse.Namespace) -> list[str]:
    lines = []
    async with scratch_sqlite() as database:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        settings = GatewaySettings(database_url=database, port=port, max_body_bytes=64 * 1024 * 1024)
        runner = web.AppRunner(build_app(settings))
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
            base, created = f"http://127.0.0.1:{port}", []
            async with aiohttp.ClientSession() as session:
                for items in args.items:
                    payload = body(items)
                    worst = []
                    for _ in range(args.repeat):
                        status, took, stall, answer = await _one(session, base + PATH, payload)
                        if status != 201:
                            raise SystemExit(f"{items} items: answered {status}")
                        worst.append(stall)
                        created.append(json.loads(answer)["id"])
                    lines.append(
                        f"{items:7} items {len(payload) / 1024:8.0f} KiB: create {took * 1000:6.0f} ms,"
                        f" longest hold of the loop {min(worst) * 1000:5.0f} to {max(worst) * 1000:.0f} ms"
                        f" ({max(worst) * 1000 / (len(payload) / 1024):.2f} ms per KiB)"
                    )
                lines.append(f"reads with these {len(created)} orders stored, the first cancelled:")
                lines += await _reads(session, base, created[0], len(created))
        finally:
            await runner.cleanup()
            sock.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ordergate bench stall", description=__doc__.split("\n\n")[0])
    p.add_argument("--items", default="1000,4000,8000", help="order sizes (comma-separated)")
    p.add_argument("--repeat", type=int, default=3, help="creates of each size (default 3)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    args.items = [int(x) for x in args.items.split(",") if x.strip()]
    lines = asyncio.run(run(args))
    print(f"ordergate bench stall: one REST create at a time, {args.repeat} each; {machine_line()}")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
