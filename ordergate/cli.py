"""The ``ordergate`` command: serve, migrate, bench, hash-key."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from ordergate.settings import GatewaySettings


def _settings(args: argparse.Namespace) -> GatewaySettings:
    base = GatewaySettings.from_env()
    overrides = {
        k: v
        for k, v in {
            "database_url": getattr(args, "database_url", None),
            "amqp_url": getattr(args, "amqp_url", None),
            "host": getattr(args, "host", None),
            "port": getattr(args, "port", None),
        }.items()
        if v is not None
    }
    return dataclasses.replace(base, **overrides)


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from ordergate.bootstrap import build_app

    settings = _settings(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = build_app(settings)
    except ValueError as e:  # a setting that cannot be used, e.g. ORDERGATE_SWITCHED_OFF
        print(f"ordergate serve: {e}", file=sys.stderr)
        return 2
    web.run_app(app, host=settings.host, port=settings.port, print=None)
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from adapters.sql import migrate

    migrate(_settings(args).database_url)
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
