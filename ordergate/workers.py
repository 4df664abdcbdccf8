"""``ordergate serve`` with several worker processes (``ORDERGATE_WORKERS``), on gunicorn.

One Python process runs on one core.  With ``workers`` above one, ``serve``
becomes gunicorn's arbiter running the gateway in aiohttp's
``GunicornWebWorker``s -- the process manager Python operators know, chosen
over the hand-written supervisor it replaced because it held up better
under a killed worker and a reload (``docs/architecture.md``, Processes):

* one listening socket, bound by the arbiter and inherited by every worker:
  a worker that dies or is recycled leaves the connections still waiting to
  be accepted to the others (with a socket per worker, ``SO_REUSEPORT``, the
  kernel resets them);
* ``SIGHUP`` starts new workers, then stops the old ones gracefully (each
  lingers a second between its last accept and closing idle connections,
  ``LingeringRunner``): nothing in flight is cut, no connection refused;
* a worker whose event loop stalls for ``TIMEOUT_SECONDS`` is killed and
  replaced (the aiohttp worker tells the arbiter it is alive every second),
  one that dies is replaced at once, and a worker whose arbiter dies stops;
  ``SIGTTIN`` / ``SIGTTOU`` add and remove a worker on a running host.

Each worker is a whole gateway, as one process is: HTTP on the shared
socket, the AMQP request queue as a competing consumer (each with its
prefetch), the relay and hub dispatcher under their leases.  Exactly-once
answers across workers come from the request log, as across restarts.

Before the arbiter starts, ``supervise`` checks once what every worker
would (credentials file, port, database, schema, broker), so a misstep ends
the command with one line instead of N workers failing.  Metrics are the
host's: every worker writes its figures to one directory
(``PROMETHEUS_MULTIPROC_DIR``: the operator's, emptied at start, or a
temporary one) from which a scrape of any worker adds them all up; when a
worker exits, its live gauges are removed (``adapters.operations``).  Each
worker is numbered (``ORDERGATE_WORKER``, in its log lines), and gunicorn's
own lines go through the gateway's logging (text or JSON).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.glogging import Logger

from ordergate.settings import GatewaySettings

log = logging.getLogger("ordergate.workers")

WORKER_ENV = "ORDERGATE_WORKER"  # set in a worker's environment: its number
BAD_SETTINGS = 2  # the command's exit code when a worker cannot start: restarting cannot help
WORKER_BOOT_ERROR, APP_LOAD_ERROR = Arbiter.WORKER_BOOT_ERROR, Arbiter.APP_LOAD_ERROR

WORKER_CLASS = "aiohttp.GunicornWebWorker"
UVLOOP_WORKER_CLASS = "aiohttp.GunicornUVLoopWebWorker"  # ORDERGATE_EVENT_LOOP=uvloop, the default
GRACEFUL_SECONDS = 30  # a stopping worker's time to finish (HTTP 20 s, AMQP 10 s, relay 10 s)
TIMEOUT_SECONDS = 30  # a worker silent this long (its event loop stalled) is killed and replaced
LINGER_SECONDS = 1.0  # a stopping worker's pause between its last accept and closing idle connections


class LingeringRunner(web.AppRunner):
    """Stops accepting, then waits a moment before closing the connections that look idle.

    aiohttp closes every connection with no request under way as soon as it stops accepting; a
    connection the worker accepted an instant before, whose request is still on its way, looks
    idle and is reset -- under ``SIGHUP`` or recycling that is a failed request the other workers
    would have served.  After the pause those requests are under way, and are finished."""

    async def cleanup(self) -> None:
        for site in list(self.sites):
            await site.stop()
        await asyncio.sleep(LINGER_SECONDS)
        await super().cleanup()


class GatewayLogger(Logger):  # type: ignore[misc]
    """gunicorn's messages through the gateway's handlers (text or JSON), not handlers of its own."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in list(self.error_log.handlers):
            self.error_log.removeHandler(handler)
        self.error_log.propagate = True
        self.access_log.propagate = False  # the gateway writes its own access line


def _address(settings: GatewaySettings) -> str:
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"{host}:{settings.port}"


class GatewayArbiter(BaseApplication):  # type: ignore[misc]
    """gunicorn's arbiter running ``factory`` (the gateway) in ``settings.workers`` workers."""

    def __init__(
        self,
        settings: GatewaySettings,
        factory: Callable[[], Any],
        worker_exited: Callable[[int], None],
    ) -> None:
        self._settings = settings
        self._factory = factory
        self._worker_exited = worker_exited
        super().__init__()

    def load_config(self) -> None:
        s = self._settings
        options: dict[str, Any] = {
            "bind": [_address(s)],
            "workers": s.workers,
            "worker_class": WORKER_CLASS if s.event_loop == "asyncio" else UVLOOP_WORKER_CLASS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "timeout": TIMEOUT_SECONDS,
            "max_requests": int(s.extra.get("max_requests", "0")),
            "max_requests_jitter": int(s.extra.get("max_requests_jitter", "0")),
            "keepalive": 75,
            "proc_name": "ordergate",
            "control_socket_disable": True,  # no socket file in the home directory (read-only there)
            "logger_class": GatewayLogger,
            "loglevel": s.log_level,
            "pre_fork": self._pre_fork,
            "post_fork": _post_fork,
            "child_exit": self._child_exit,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Callable[[], Any]:
        return self._factory

    @staticmethod
    def _pre_fork(arbiter: Any, worker: Any) -> None:
        """The lowest number no live worker holds: a replacement takes its predecessor's."""
        taken = {getattr(w, "ordergate_number", 0) for w in arbiter.WORKERS.values()}
        worker.ordergate_number = next(n for n in itertools.count(1) if n not in taken)

    def _child_exit(self, _arbiter: Any, worker: Any) -> None:
        self._worker_exited(worker.pid)


def _post_fork(arbiter: Any, worker: Any) -> None:
    """In the new worker: its number in its environment (the logs name it), and the metrics' value
    store chosen again now that the environment names the host's directory (the arbiter imported
    the client library before it did)."""
    from prometheus_client import values

    os.environ[WORKER_ENV] = str(worker.ordergate_number)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    arbiter.log.info("worker %d started (pid %d)", worker.ordergate_number, os.getpid())


def gateway_factory(settings: GatewaySettings) -> Callable[[], Any]:
    """The worker's application: the gateway's runner (its access line, its shutdown time), and
    the announcement once it consumes AMQP requests."""

    async def factory() -> web.AppRunner:
        from ordergate.bootstrap import build_app, build_gateway
        from ordergate.serving import ACCESS_LOG_FORMAT, SHUTDOWN_SECONDS, RequestAccessLog, announce_worker

        gw = build_gateway(settings)
        app = build_app(settings, gw)

        async def started(_app: web.Application) -> None:
            task = asyncio.create_task(announce_worker(gw, settings))
            app["ordergate.announce"] = task

        app.on_startup.append(started)
        return LingeringRunner(
            app,
            access_log_class=RequestAccessLog,
            access_log_format=ACCESS_LOG_FORMAT,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )

    return factory


def run(settings: GatewaySettings, worker_exited: Callable[[int], None]) -> int:
    """Serve with ``settings.workers`` workers until SIGTERM or SIGINT; the command's exit code.
    gunicorn halts when a worker cannot boot (its 3) or load the application (4): restarting
    cannot help, which the gateway says with 2."""
    try:
        GatewayArbiter(settings, gateway_factory(settings), worker_exited).run()
    except SystemExit as stop:
        code = int(stop.code or 0)
        return BAD_SETTINGS if code in (WORKER_BOOT_ERROR, APP_LOAD_ERROR) else code
    return 0


async def _prepare_once(settings: GatewaySettings) -> None:
    from adapters.sql import SqlaOrderStore
    from ordergate.startup import prepare

    store = SqlaOrderStore(settings.database_url, native=False)
    try:
        log.info("%s", await prepare(store, settings))
    finally:
        await store.close()


def supervise(settings: GatewaySettings, _overrides: Sequence[str] = ()) -> int:
    """Check once what every worker needs (``StartupError`` if it is wrong), then run the workers.
    (The workers are forked: they have the settings, command-line overrides included.)"""
    from adapters.operations.metrics import MULTIPROC_ENV
    from adapters.operations.multiprocess import MetricsDirectory
    from ordergate.bootstrap import load_credentials
    from ordergate.startup import listening_socket

    load_credentials(settings.credentials_path)
    listening_socket(settings, shared=True).close()
    asyncio.run(_prepare_once(settings))  # the embedded SQLite file: migrated once, before any worker
    metrics = MetricsDirectory.prepare(os.environ.get(MULTIPROC_ENV))
    os.environ.update(metrics.environment)  # before the workers are forked
    log.info("supervising %d workers on %s:%d", settings.workers, settings.host, settings.port)
    try:
        return run(settings, metrics.worker_exited)
    finally:
        metrics.remove()
