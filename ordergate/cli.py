"""The ``ordergate`` command: serve, migrate, check, archive, bench, hash-key, and ``--version``.

Every command that reads settings validates all of them first (one line per
problem, exit 2).  What can go wrong on the way up ends the command with one
line and the exit code ``ordergate.startup`` documents (2: fix the settings
or the deployment; 1: the database or broker stayed out of reach).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from ordergate import __version__
from ordergate.settings import FLAGS, GatewaySettings, SettingsError, unknown_variables

log = logging.getLogger("ordergate")


def _given(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line (they override the environment)."""
    return {name: value for name in FLAGS if (value := getattr(args, name, None)) is not None}


def _overrides(args: argparse.Namespace) -> list[str]:
    """The command-line overrides of ``serve``, as given (for worker processes)."""
    return [part for name, value in _given(args).items() for part in (FLAGS[name], str(value))]


def _settings(args: argparse.Namespace) -> GatewaySettings | None:
    try:
        return GatewaySettings.from_env(**_given(args))
    except SettingsError as e:
        for problem in e.problems:
            print(f"ordergate {args.command}: {problem}", file=sys.stderr)
        return None


def _start_logging(args: argparse.Namespace, settings: GatewaySettings) -> Any:
    from ordergate import logs

    fold = logs.configure(settings.log_format, settings.log_level)
    for unknown in unknown_variables(os.environ):
        log.warning("%s; it is ignored", unknown)
    return fold


def _fail(args: argparse.Namespace, settings: GatewaySettings, message: str, code: int) -> int:
    """The one line a failed command ends with (a JSON object when the log is JSON)."""
    if settings.log_format == "json":
        log.error("ordergate %s: %s", args.command, message)
    else:
        print(f"ordergate {args.command}: {message}", file=sys.stderr)
    return code


def run_on(event_loop: str, main: Coroutine[Any, Any, int]) -> int:
    """Run ``main`` on the chosen event loop (ORDERGATE_EVENT_LOOP)."""
    if event_loop == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)


def _serve(args: argparse.Namespace) -> int:
    from ordergate.serving import serve
    from ordergate.startup import StartupError
    from ordergate.workers import WORKER_ENV, supervise

    settings = _settings(args)
    if settings is None:
        return 2
    fold = _start_logging(args, settings)
    worker = WORKER_ENV in os.environ
    try:
        if settings.workers > 1 and not worker:
            return supervise(settings, _overrides(args))
        return run_on(settings.event_loop, serve(settings, fold, shared=settings.workers > 1 or worker))
    except StartupError as e:
        return _fail(args, settings, e.message, e.code)
    except KeyboardInterrupt:
        return 130


def _migrate(args: argparse.Namespace) -> int:
    from ordergate.check import migrate_database
    from ordergate.startup import StartupError

    settings = _settings(args)
    if settings is None:
        return 2
    _start_logging(args, settings)
    try:
        done = asyncio.run(migrate_database(settings))
    except StartupError as e:
        return _fail(args, settings, e.message, e.code)
    print(f"ordergate migrate: {done}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from ordergate.check import run_checks

    return asyncio.run(run_checks(_given(args), sys.stdout))


def _bench(args: argparse.Namespace) -> int:
    import importlib

    module = importlib.import_module(f"bench.{args.target}")
    return int(module.main(args.rest) or 0)


def _closed_before(raw: str) -> datetime:
    """``--closed-before``: a date (its midnight, UTC) or a date-time with its offset."""
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date (2025-01-01) or date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _archive(args: argparse.Namespace) -> int:
    """Move the orders closed before a date to the archive, in batches (adapters/sql/archive.py)."""
    from adapters.sql.archive import archive_closed
    from adapters.sql.engine import make_engine

    settings = _settings(args)
    if settings is None:
        return 2

    async def run() -> int:
        engine = make_engine(settings.database_url, pool_size=1)
        try:
            done = await archive_closed(engine, args.closed_before, args.batch, args.pause)
        finally:
            await engine.dispose()
        print(
            f"ordergate archive: {done.moved} orders closed before {args.closed_before.isoformat()}"
            f" moved to the archive in {done.batches} batches"
        )
        return 0

    return asyncio.run(run())


def _hash_key(args: argparse.Namespace) -> int:
    from adapters.identity import hash_key

    print(hash_key(args.key))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ordergate", description="Order-management gateway")
    p.add_argument("--version", action="version", version=f"ordergate {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for name, fn, help_ in (
        ("serve", _serve, "run the gateway"),
        ("migrate", _migrate, "bring the database schema up to date"),
        ("check", _check, "check settings, database, schema, broker and credentials; exit 1 on a problem"),
    ):
        s = sub.add_parser(name, help=help_)
        s.add_argument("--database-url", help="overrides ORDERGATE_DATABASE_URL")
        s.set_defaults(fn=fn)
        if name in ("serve", "check"):
            s.add_argument("--amqp-url", help="overrides ORDERGATE_AMQP_URL")
        if name == "serve":
            s.add_argument("--host", help="overrides ORDERGATE_HOST")
            s.add_argument("--port", help="overrides ORDERGATE_PORT")
            s.add_argument("--workers", help="overrides ORDERGATE_WORKERS (gateway processes)")
    a = sub.add_parser("archive", help="move the orders closed before a date to the archive")
    a.add_argument("--database-url", help="overrides ORDERGATE_DATABASE_URL")
    a.add_argument(
        "--closed-before", type=_closed_before, required=True, help="a date (UTC midnight) or a date-time"
    )
    a.add_argument("--batch", type=int, default=500, help="orders moved per transaction (default 500)")
    a.add_argument("--pause", type=float, default=0.0, help="seconds between batches (default 0)")
    a.set_defaults(fn=_archive)
    b = sub.add_parser(
        "bench",
        help="run a benchmark: core, rest, amqp, soap, query, report, history, stall, curve (--plot draws it),"
        " processes",
    )
    b.add_argument(
        "target",
        choices=["core", "rest", "amqp", "soap", "query", "report", "history", "stall", "curve", "processes"],
    )
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
