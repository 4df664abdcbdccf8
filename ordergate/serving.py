"""``ordergate serve`` in one process: checked start, announced listeners, graceful stop.

The order matters to an operator: the port is bound first (a port in use or
a host that does not resolve ends the start at once, before any waiting),
then the database and the broker are waited for and the schema checked
(``ordergate.startup``), and only then does the gateway listen.  It says
where it listens, one line per listener; on SIGTERM or SIGINT it stops
taking work, finishes what is in flight, and says what it finished, what it
cut short and what is still owed to the event consumers.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket

from aiohttp import web
from aiohttp.web_log import AccessLogger

from adapters.rest.requestid import HEADER
from adapters.sql.engine import safe_url
from core.usecases.correlation import REQUEST_ID
from ordergate import __version__
from ordergate.bootstrap import Gateway, build_app, build_gateway
from ordergate.logs import OutageFold
from ordergate.settings import GatewaySettings
from ordergate.startup import listening_socket, prepare
from ordergate.workers import WORKER_ENV

log = logging.getLogger("ordergate")

SHUTDOWN_SECONDS = 20.0  # for HTTP requests in flight (AMQP requests have their own, see docs/amqp.md)
ACCESS_LOG_FORMAT = '%a "%r" %s %b %Tfs'


class RequestAccessLog(AccessLogger):
    """aiohttp's access line, written under the request's id like every other line about it."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        token = REQUEST_ID.set(response.headers.get(HEADER))
        try:
            super().log(request, response, time)
        finally:
            REQUEST_ID.reset(token)


def _http_url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def announce(gw: Gateway, sock: socket.socket, done: str | None) -> None:
    """One line per listener and store, none with a password."""
    _announce(gw, _http_url(sock), done)


async def announce_worker(gw: Gateway, settings: GatewaySettings) -> None:
    """A worker under gunicorn: once its AMQP profile consumes, where it serves (the arbiter
    checked the database and the schema, and said so, before any worker started)."""
    await _amqp_started(gw)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    _announce(gw, f"http://{host}:{settings.port}", None)


def _announce(gw: Gateway, url: str, done: str | None) -> None:
    worker = os.environ.get("ORDERGATE_WORKER")
    process = f"worker {worker} of {gw.settings.workers}" if worker else "1 process"
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]  # uvloop, or asyncio
    log.info("ordergate %s serving (%s, pid %d, %s loop)", __version__, process, os.getpid(), loop)
    log.info("REST %s/tmf-api/...; SOAP %s/soap/OrderManagement (WSDL: ?wsdl)", url, url)
    log.info("health %s/healthz, readiness %s/readyz, XSD %s/xml/ordermanagement.xsd", url, url, url)
    if done is not None:
        log.info("%s", done.replace(gw.store.url, safe_url(gw.store.url)))
    if gw.amqp is not None:
        log.info("%s", gw.amqp.describe())
    else:
        log.info("AMQP off (ORDERGATE_AMQP_URL unset)")


async def _amqp_started(gw: Gateway, seconds: float = 30.0) -> None:
    """Until the AMQP profile consumes and can publish (the broker answered moments ago)."""
    if gw.amqp is None:
        return
    try:
        await asyncio.wait_for(gw.amqp.started(), seconds)
    except TimeoutError:
        log.warning("AMQP not connected after %.0f s: it keeps trying in the background", seconds)


def _stop_signal() -> asyncio.Event:
    """Set by SIGTERM or SIGINT, from now on: a stop while the gateway starts is a clean stop too."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


def _fresh_metrics() -> None:
    """One process on its own with ``PROMETHEUS_MULTIPROC_DIR`` set: an earlier run's figures go
    (under workers the supervisor does this, before any worker starts)."""
    from adapters.operations.metrics import multiprocess_dir
    from adapters.operations.multiprocess import empty

    path = multiprocess_dir()
    if path and WORKER_ENV not in os.environ:
        os.makedirs(path, exist_ok=True)
        empty(path)


async def serve(settings: GatewaySettings, fold: OutageFold, shared: bool) -> int:
    _fresh_metrics()
    gw = build_gateway(settings)
    fold.outages = gw.outages
    sock = listening_socket(settings, shared)
    try:
        done = await prepare(gw.store, settings)
        runner = web.AppRunner(
            build_app(settings, gw),
            access_log_class=RequestAccessLog,
            access_log_format=ACCESS_LOG_FORMAT,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )
        await runner.setup()
    except BaseException:
        sock.close()
        await gw.store.close()
        raise
    stop = _stop_signal()
    try:
        await web.SockSite(runner, sock, shutdown_timeout=SHUTDOWN_SECONDS).start()
        await _amqp_started(gw)
        announce(gw, sock, done)
        await stop.wait()
        log.info("stopping: %d HTTP requests in flight, finishing them", gw.http.in_flight)
    finally:
        await runner.cleanup()
    log.info("stopped (HTTP requests cut short: %d)", gw.http.cut)
    return 0
