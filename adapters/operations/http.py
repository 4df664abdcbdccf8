"""Metrics of the HTTP profiles, taken from outside them, and ``GET /metrics``.

One middleware on the root application times every request and counts it
under its profile, operation and outcome:

* REST (``/tmf-api/...``): the operation is the method and the route
  template (``GET /tmf-api/serviceOrdering/v4/serviceOrder/{id}``), never
  the raw path; the outcome is read from the TMF error body's ``code`` (the
  core's error kind, by the profile's contract), or ``ok`` below 400;
* SOAP (``POST /soap/OrderManagement``): the endpoint notes the operation
  and its outcome on the request (``note``, handed to it by the composition
  root), as only it has parsed the envelope;
* anything else (health, readiness, WSDL, XSD, this page): profile ``http``,
  its route template.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar

import orjson
from aiohttp import web
from aiohttp.web_urldispatcher import MatchInfoError

from adapters.operations.metrics import CONTENT_TYPE, CORE_KINDS, GatewayMetrics

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Refresh = Callable[[], Awaitable[object]]

REST_PREFIX = "/tmf-api/"
SOAP_PATH = "/soap/OrderManagement"
UNMATCHED = "unmatched"
# what the profile serving the request noted (the middleware's per-request holder)
_NOTE: ContextVar[list[tuple[str, str]] | None] = ContextVar("ordergate_operations_note", default=None)
# REST's own error codes (never the core's): the caller is unknown, or the request was refused
# before any operation ran
_REST_CODES = {"unauthenticated": "unauthenticated", "internalError": "internal"}


def route_of(request: web.Request) -> str:
    """``METHOD /route/{template}``: bounded by the routes the application has."""
    info = request.match_info
    if isinstance(info, MatchInfoError) or info.route.resource is None:
        return UNMATCHED
    return f"{request.method} {info.route.resource.canonical}"


def note(_request: web.Request, operation: str, outcome: str) -> None:
    """What a profile knows of the request it serves: the operation and its outcome."""
    holder = _NOTE.get()
    if holder is not None:
        holder.append((operation, outcome))


def rest_outcome(response: web.StreamResponse) -> str:
    """``ok``, or the error body's code: the core's error kind, or a refusal of REST's own."""
    if response.status < 400:
        return "ok"
    code = None
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        try:
            code = orjson.loads(response.body).get("code")
        except (orjson.JSONDecodeError, AttributeError):
            code = None
    if not isinstance(code, str):
        return "internal" if response.status >= 500 else "refused"
    return code if code in CORE_KINDS else _REST_CODES.get(code, "refused")


class RequestMetrics:
    """The middleware (aiohttp's new style: ``(request, handler)``)."""

    __middleware_version__ = 1

    def __init__(self, metrics: GatewayMetrics) -> None:
        self._metrics = metrics

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        self._metrics.http_in_flight.inc()
        response: web.StreamResponse | None = None
        noted: list[tuple[str, str]] = []
        token = _NOTE.set(noted)
        try:
            response = await handler(request)
            return response
        except web.HTTPException as e:  # the router's 404 and 405, raised
            response = e
            raise
        finally:
            _NOTE.reset(token)
            self._metrics.http_in_flight.dec()
            self._count(request, response, noted, time.perf_counter() - started)

    def _count(
        self,
        request: web.Request,
        response: web.StreamResponse | None,
        noted: list[tuple[str, str]],
        seconds: float,
    ) -> None:
        path = request.path
        if request.method == "POST" and path == SOAP_PATH:
            unnoted = ("other", "internal" if response is None else "refused")
            operation, outcome = noted[-1] if noted else unnoted
            self._metrics.request("soap", operation, outcome, seconds)
        elif path.startswith(REST_PREFIX):
            outcome = "internal" if response is None else rest_outcome(response)
            self._metrics.request("rest", route_of(request), outcome, seconds)
        else:
            outcome = "ok" if response is not None and response.status < 400 else "refused"
            self._metrics.request("http", route_of(request), outcome, seconds)


def metrics_handler(metrics: GatewayMetrics, refresh: Refresh, *collectors: object) -> Handler:
    """``GET /metrics``: ``refresh`` (the database's figures, cached) first, then the exposition."""

    async def scrape(_request: web.Request) -> web.Response:
        await refresh()
        body = metrics.exposition(*collectors)  # type: ignore[arg-type]
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    return scrape
