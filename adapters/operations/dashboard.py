"""``GET /dashboard``: the order book, the last 24 hours, lead times, jeopardy and the gateway's health.

For admins, identified as in every other profile (``adapters.identity``): an
``Authorization: Bearer`` key or token, or -- since a browser sends no bearer
header by itself -- the API key as the password of HTTP Basic authentication,
which the browser asks for once; on loopback without a credentials file, the
local admin.

The page is rendered on the server, whole: every table reads without
JavaScript (a meta refresh then reloads it).  With JavaScript it polls
``GET /dashboard/data`` -- the same figures as JSON -- every ``refresh``
seconds (``?refresh=``, default 5) and updates in place: each figure is an
element naming its place in the JSON (``data-field``), the chart's bars are
resized, the jeopardy list is rebuilt.  The script and the style sheet are
files of this package (``/dashboard/static/``): no build step, nothing from
the internet, the chart a hand-written SVG.

The figures: the order book, the outbox and the hub backlog from the
metrics' database reading (``book``, cached a few seconds, shared with
``/metrics``); creates and completions per hour, the lead-time buckets and
the overdue orders from the store (``DashboardFigures``); median, 90th
percentile and longest lead time from the core's provisioning report (read
at most once a minute); database, schema and broker from the gateway's own
probe.  A figure that cannot be read shows as a dash; the page still renders.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from aiohttp import web

from adapters.identity import Credentials, Unauthenticated, identify_http
from adapters.operations.book import BookFigures
from adapters.operations.dashboard_page import duration, render_page
from core.document.render import iso
from core.domain.errors import OrderError
from core.domain.model import Caller, Kind
from core.domain.states import State
from core.usecases.reporting import ProvisioningReportRequest, ReportProvisioning

log = logging.getLogger(__name__)
T = TypeVar("T")

PATH = "/dashboard"
STATIC = Path(__file__).with_name("static")
STATES = [s.value for s in State]
OPEN_STATES = [s.value for s in State if s.is_open]
# lead-time buckets: below each bound (seconds), and at least the last
BUCKETS = (
    (3600.0, "< 1 h"),
    (4 * 3600.0, "1 to 4 h"),
    (86400.0, "4 to 24 h"),
    (3 * 86400.0, "1 to 3 d"),
    (7 * 86400.0, "3 to 7 d"),
)
BUCKET_LABELS = [label for _, label in BUCKETS] + ["\u2265 7 d"]
LEAD_WINDOW = timedelta(days=30)
LEAD_SECONDS = 60.0  # lead times over 30 days barely move: read them at most this often
JEOPARDY_SHOWN = 50
READ_SECONDS = 5.0  # each source answers within this, or its figures show as unknown
REFRESH_DEFAULT, REFRESH_MIN, REFRESH_MAX = 5, 1, 300
OUTBOX_LATE_SECONDS = 60.0  # an outbox whose oldest event waits longer is flagged


class Overdue(Protocol):
    id: str
    kind: Kind
    state: str
    client_id: str
    due: datetime


class DashboardFigures(Protocol):
    """What the store answers for the dashboard (``adapters.sql.dashboard``)."""

    async def hourly_activity(
        self, since: datetime
    ) -> tuple[Mapping[datetime, int], Mapping[datetime, int]]: ...

    async def lead_time_buckets(
        self, start: datetime, end: datetime, bounds: Sequence[float]
    ) -> Mapping[Kind, Sequence[int]]: ...

    async def overdue(self, now: datetime, limit: int) -> Sequence[Overdue]: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DashboardSources:
    """Everything the dashboard reads, handed in by the composition root."""

    figures: DashboardFigures
    report: ReportProvisioning
    book: Callable[[], Awaitable[BookFigures | None]]
    probe: Callable[[], Awaitable[Mapping[str, str | None]]]  # dependency -> None when up, else why
    href: Callable[[Kind, str], str]  # an order's REST resource
    amqp: bool  # the AMQP profile is configured
    clock: Callable[[], datetime] = _utcnow
    _lead: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)


async def _read(what: str, call: Awaitable[T]) -> T | None:
    try:
        async with asyncio.timeout(READ_SECONDS):
            return await call
    except Exception as error:  # the health rows say why (database, schema); the figure shows a dash
        log.debug("dashboard: %s not read: %s", what, error)
        return None


def _book(figures: BookFigures | None) -> dict[str, Any]:
    if figures is None:
        return {"states": STATES, "counts": None, "open": None, "totals": None}
    counts = {k.value: dict.fromkeys(STATES, 0) for k in Kind}
    counts["all"] = dict.fromkeys(STATES, 0)
    for kind, state, n in figures.orders:
        if kind in counts and state in counts["all"]:
            counts[kind][state] += n
            counts["all"][state] += n
    return {
        "states": STATES,
        "counts": counts,
        "open": {k: sum(c[s] for s in OPEN_STATES) for k, c in counts.items()},
        "totals": {k: sum(c.values()) for k, c in counts.items()},
    }


def _activity(
    now: datetime, found: tuple[Mapping[datetime, int], Mapping[datetime, int]] | None
) -> dict[str, Any]:
    last = now.replace(minute=0, second=0, microsecond=0)
    hours = [last - timedelta(hours=23 - i) for i in range(24)]
    created, completed = found if found is not None else ({}, {})
    out: dict[str, Any] = {"hours": [iso(h) for h in hours]}
    for name, counts in (("created", created), ("completed", completed)):
        series = None if found is None else [counts.get(h, 0) for h in hours]
        out[name] = series
        out[f"{name}Total"] = None if series is None else sum(series)
    return out


async def _lead_times(src: DashboardSources, caller: Caller, now: datetime) -> dict[str, Any]:
    if src._lead is not None and time.monotonic() - src._lead[0] < LEAD_SECONDS:
        return src._lead[1]
    start = now - LEAD_WINDOW
    report, buckets = await asyncio.gather(
        _read("lead times", src.report.execute(caller, ProvisioningReportRequest(None, start, now))),
        _read("lead-time buckets", src.figures.lead_time_buckets(start, now, [b for b, _ in BUCKETS])),
    )
    kinds: dict[str, Any] = {}
    for kind in Kind:
        figures = next((k.figures for k in report.kinds if k.kind is kind), None) if report else None
        lead = figures.lead_time if figures else None
        kinds[kind.value] = {
            "completed": figures.completed if figures else None,
            "median": lead.median if lead else None,
            "p90": lead.p90 if lead else None,
            "max": lead.max if lead else None,
            "histogram": list(buckets[kind]) if buckets else None,
        }
    out = {"from": iso(start), "to": iso(now), "buckets": BUCKET_LABELS, "kinds": kinds}
    if report is not None and buckets is not None:
        src._lead = (time.monotonic(), out)
    return out


def _jeopardy(
    src: DashboardSources, now: datetime, book: BookFigures | None, late: Sequence[Overdue] | None
) -> dict[str, Any]:
    orders = [
        {
            "id": o.id,
            "kind": o.kind.value,
            "state": o.state,
            "clientId": o.client_id,
            "due": iso(o.due),
            "overdueSeconds": max(0.0, (now - o.due).total_seconds()),
            "href": src.href(o.kind, o.id),
        }
        for o in late or ()
    ]
    total = (
        sum(n for _, n in book.jeopardy) if book is not None else (len(orders) if late is not None else None)
    )
    return {"total": total, "orders": orders if late is not None else None}


def _health(
    src: DashboardSources, probe: Mapping[str, str | None] | None, book: BookFigures | None
) -> dict[str, Any]:
    def row(status: str, detail: str, **figures: Any) -> dict[str, Any]:
        return {"status": status, "detail": detail, **figures}

    probe = probe or {"database": "no answer from the probe"}
    database, schema = probe.get("database"), probe.get("schema")
    out = {
        "database": row("fail", database) if database else row("ok", "reachable"),
        "schema": row("na", "unknown while the database does not answer")
        if database
        else row("fail", schema)
        if schema
        else row("ok", "at the code's revision"),
    }
    if not src.amqp:
        out["amqp"] = row("na", "not configured")
    else:
        broker = probe.get("broker")
        out["amqp"] = row("fail", broker) if broker else row("ok", "connected")
    if book is None:
        out["outbox"] = row("na", "unknown", depth=None, oldestSeconds=None)
        out["hub"] = row("na", "unknown", pending=None)
    else:
        late = book.outbox_oldest_seconds > OUTBOX_LATE_SECONDS
        events = "1 event" if book.outbox_depth == 1 else f"{book.outbox_depth} events"
        detail = f"{events} owed" + (
            f", the oldest waiting {duration(book.outbox_oldest_seconds)}" if book.outbox_depth else ""
        )
        out["outbox"] = row(
            "warn" if late else "ok",
            detail,
            depth=book.outbox_depth,
            oldestSeconds=book.outbox_oldest_seconds,
        )
        pending = "1 delivery" if book.hub_pending == 1 else f"{book.hub_pending} deliveries"
        out["hub"] = row("ok", f"{pending} pending", pending=book.hub_pending)
    return out


async def build_view(src: DashboardSources, caller: Caller, refresh: int) -> dict[str, Any]:
    """Every figure of the page, as the JSON the page's script reads."""
    now = src.clock()
    since = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    book, activity, late, probe, lead = await asyncio.gather(
        _read("order book", src.book()),
        _read("activity", src.figures.hourly_activity(since)),
        _read("overdue orders", src.figures.overdue(now, JEOPARDY_SHOWN)),
        _read("probe", src.probe()),
        _lead_times(src, caller, now),
    )
    return {
        "generatedAt": iso(now),
        "refreshSeconds": refresh,
        "book": _book(book),
        "activity": _activity(now, activity),
        "leadTimes": lead,
        "jeopardy": _jeopardy(src, now, book, late),
        "health": _health(src, probe, book),
    }


# ------------------------------------------------------------------ HTTP

HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
}
CHALLENGES = ('Basic realm="Ordergate dashboard", charset="UTF-8"', 'Bearer realm="ordergate"')


def _as_bearer(authorization: str | None) -> str | None:
    """HTTP Basic's password (a browser's way to send a key) as the bearer value it stands for."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return authorization
    try:
        _user, _, password = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return f"Bearer {password}"


def _refusal(status: int, message: str) -> web.Response:
    response = web.Response(status=status, text=message + "\n", headers=HEADERS)
    if status == 401:
        for challenge in CHALLENGES:
            response.headers.add("WWW-Authenticate", challenge)
    return response


class Dashboard:
    def __init__(self, sources: DashboardSources, credentials: Credentials | None) -> None:
        self.sources = sources
        self.credentials = credentials

    async def _admin(self, request: web.Request) -> Caller | web.Response:
        try:
            caller = await identify_http(
                self.credentials, _as_bearer(request.headers.get("Authorization")), request.remote
            )
        except Unauthenticated as e:
            return _refusal(401, f"unauthenticated: {e}")
        except OrderError as e:  # a token granting no role, or the identity provider out of reach
            return _refusal(503 if e.kind == "remote" else 403, e.message)
        if not caller.is_admin:
            return _refusal(403, f"the dashboard is for admins; {caller.client_id!r} is not one")
        return caller

    @staticmethod
    def _refresh(request: web.Request) -> int | web.Response:
        raw = request.query.get("refresh", str(REFRESH_DEFAULT))
        if not raw.isdigit() or not REFRESH_MIN <= int(raw) <= REFRESH_MAX:
            return _refusal(400, f"refresh: seconds between updates, {REFRESH_MIN} to {REFRESH_MAX}")
        return int(raw)

    async def _view(self, request: web.Request) -> dict[str, Any] | web.Response:
        """The figures for an admin's request, or the refusal."""
        caller = await self._admin(request)
        if isinstance(caller, web.Response):
            return caller
        refresh = self._refresh(request)
        if isinstance(refresh, web.Response):
            return refresh
        return await build_view(self.sources, caller, refresh)

    async def page(self, request: web.Request) -> web.Response:
        view = await self._view(request)
        if isinstance(view, web.Response):
            return view
        html = render_page(view, static=f"{PATH}/static", data_url=f"{PATH}/data")
        return web.Response(text=html, content_type="text/html", headers=HEADERS)

    async def data(self, request: web.Request) -> web.Response:
        view = await self._view(request)
        if isinstance(view, web.Response):
            return view
        return web.json_response(view, headers=HEADERS)


def setup_dashboard(
    app: web.Application, sources: DashboardSources, credentials: Credentials | None
) -> Dashboard:
    """Serve ``GET /dashboard``, ``GET /dashboard/data`` and the page's static files on ``app``."""
    dashboard = Dashboard(sources, credentials)
    app.router.add_get(PATH, dashboard.page)
    app.router.add_get(f"{PATH}/data", dashboard.data)
    app.router.add_static(f"{PATH}/static", STATIC)
    return dashboard
