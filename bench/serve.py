"""Run one benchmarked HTTP server in a process of its own.

    python -m bench.serve ordergate|raw DATABASE_URL [--loop asyncio|uvloop] [--credentials FILE]
              [--max-body-bytes N] [--setting NAME=VALUE ...]

Listens on a free loopback port, prints ``PORT <n>`` on its first line of
output, and serves until its standard input closes (the benchmark closes it,
or dies) or it gets SIGTERM/SIGINT.  Neither server writes an access log:
the benchmark measures the applications, not logging.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from aiohttp import web

from bench.scratch import asyncpg_dsn

RAW_POOL_SIZE = 20  # the size of the gateway's own pool (SqlaOrderStore's default)


def build(target: str, database_url: str, **settings: Any) -> web.Application:
    if target == "ordergate":
        from ordergate.bootstrap import build_app
        from ordergate.settings import GatewaySettings

        return build_app(GatewaySettings(database_url=database_url, **settings))
    if target == "raw":
        from bench.raw_rest_server import build_raw_app

        return build_raw_app(asyncpg_dsn(database_url), RAW_POOL_SIZE)
    raise SystemExit(f"unknown server {target!r}: ordergate or raw")


async def _stdin_closed() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def serve(app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        print(f"PORT {runner.addresses[0][1]}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        watcher = asyncio.create_task(_stdin_closed())
        watcher.add_done_callback(lambda _: stop.set())
        await stop.wait()
        watcher.cancel()
    finally:
        await runner.cleanup()


def run_on(loop: str, main: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run`` on the stock event loop or on uvloop."""
    if loop == "uvloop":
        import uvloop

        uvloop.run(main)
    else:
        asyncio.run(main)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("target", choices=["ordergate", "raw"])
    p.add_argument("database_url")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    p.add_argument("--credentials", help="the gateway's credentials file (default: loopback admin)")
    p.add_argument("--max-body-bytes", type=int, help="the gateway's largest request body")
    p.add_argument(
        "--setting", action="append", default=[], metavar="NAME=VALUE", help="any other GatewaySettings field"
    )
    args = p.parse_args(argv)
    settings: dict[str, Any] = dict(s.split("=", 1) for s in args.setting)
    if args.credentials:
        settings["credentials_path"] = args.credentials
    if args.max_body_bytes:
        settings["max_body_bytes"] = args.max_body_bytes
    run_on(args.loop, serve(build(args.target, args.database_url, **settings)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
