"""The ``ordergate`` command: serve, migrate, bench, hash-key."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import sys
from typing import Any

from ordergate.settings import GatewaySettings

_OVERRIDABLE = ("database_url", "amqp_url", "host", "port", "workers")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (they override the environment)."""
    return {name: value for name in _OVERRIDABLE if (value := getattr(args, name, None)) is not None}


def _settings(args: argparse.Namespace) -> GatewaySettings:
    return dataclasses.replace(GatewaySettings.from_env(), **_given(args))


def _overrides(args: argparse.Namespace) -> list[str]:
    """The command-line overrides of ``serve``, as given (for worker processes)."""
    return [
        part for name, value in _given(args).items() for part in (f"--{name.replace('_', '-')}", str(value))
    ]


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from ordergate.bootstrap import build_app, build_gateway
    from ordergate.workers import WORKER_ENV, Supervisor, worker_command

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = _settings(args)
        if settings.workers < 1:
            raise ValueError(f"ORDERGATE_WORKERS must be at least 1, not {settings.workers}")
        if settings.workers > 1 and WORKER_ENV not in os.environ:
            gateway = build_gateway(settings)  # refuses bad settings before any worker starts
            if gateway.store.sqlite:
                from adapters.sql import migrate

                migrate(settings.database_url)  # once, before the workers open the file
            return Supervisor(worker_command(_overrides(args)), settings.workers).run()
        app = build_app(settings)
    except ValueError as e:  # a setting that cannot be used, e.g. ORDERGATE_SWITCHED_OFF
        print(f"ordergate serve: {e}", file=sys.stderr)
        return 2
    # several workers share the port: the kernel spreads connections among them
    shared = settings.workers > 1 or WORKER_ENV in os.environ
    web.run_app(app, host=settings.host, port=settings.port, print=None, reuse_port=shared)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from adapters.sql import migrate

    try:
        settings = _settings(args)
    except ValueError as e:  # a malformed number in the environment
        print(f"ordergate migrate: {e}", file=sys.stderr)
        return 2
    migrate(settings.database_url)
    print("schema is up to date")
    return 0


def _bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"bench.{args.target}")
    return int(module.main(args.rest) or 0)


def _hash_key(args: argparse.Namespace) -> int:
    from adapters.identity import hash_key

    print(hash_key(args.key))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ordergate", description="Order-management gateway")
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn, help_ in (
        ("serve", _serve, "run the gateway"),
        ("migrate", _migrate, "upgrade the schema"),
    ):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--database-url", help="overrides ORDERGATE_DATABASE_URL")
        s.set_defaults(fn=fn)
        if name == "serve":
            s.add_argument("--amqp-url", help="overrides ORDERGATE_AMQP_URL")
            s.add_argument("--host", help="overrides ORDERGATE_HOST")
            s.add_argument("--port", type=int, help="overrides ORDERGATE_PORT")
            s.add_argument("--workers", type=int, help="overrides ORDERGATE_WORKERS (gateway processes)")
    b = sub.add_parser("bench", help="run a benchmark: core, rest, amqp or soap")
    b.add_argument("target", choices=["core", "rest", "amqp", "soap"])
    b.add_argument(
        "rest", nargs=argparse.REMAINDER, help="options for the benchmark (see --help after the target)"
    )
    b.set_defaults(fn=_bench)
    h = sub.add_parser("hash-key", help="print the SHA-256 of an API key, for the credentials file")
    h.add_argument("key")
    h.set_defaults(fn=_hash_key)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    sys.exit(main())
