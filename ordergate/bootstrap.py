"""The composition root: builds every part of the gateway from settings.

Nothing here runs at import time.  ``build_app`` wires the store, the core,
the outbox relay and every profile into one aiohttp application; the
background workers start and stop with the app (``cleanup_ctx``).

Besides the profiles it wires what makes failures plain: the schema check
on start (``ordergate.startup.ensure_schema``), ``/readyz`` (database
reachable, schema at the code's head, broker connected), the watch that
logs each outage once (``ordergate.outage``), the predicate by which the
HTTP profiles recognise an infrastructure failure, and ``X-Request-ID``;
and the operations adapter: ``GET /metrics``, its request middleware, and
the observers the profiles, the relay and the hub report to
(``ordergate.observers``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.typedefs import Middleware

from adapters.identity import Credentials, OAuthSettings, OAuthVerifier
from adapters.operations import GatewayMetrics, Operations, RequestMetrics, setup_operations
from adapters.rest.requestid import RequestsInFlight
from adapters.sql import SqlaOrderStore
from adapters.sql.migrate import schema_state
from core.domain.catalog import Catalog, CatalogError
from core.domain.errors import OrderError
from core.ports import EventPublisher
from core.usecases import OrderManagement, Settings
from core.usecases.jeopardy import JeopardyWatch
from core.usecases.management import parse_switched_off
from core.usecases.relay import OutboxRelay, stop_worker
from core.usecases.retention import RetentionPruner, RetentionSettings
from ordergate import observers
from ordergate.catalog import load_catalog
from ordergate.outage import Outages, dependency_of, short
from ordergate.settings import GatewaySettings
from ordergate.startup import StartupError, ensure_schema

if TYPE_CHECKING:
    from adapters.amqp import AmqpProfile

log = logging.getLogger("ordergate")


@dataclass
class Gateway:
    settings: GatewaySettings
    store: SqlaOrderStore
    orders: OrderManagement
    credentials: Credentials | None
    publishers: list[EventPublisher] = field(default_factory=list)
    relay: OutboxRelay | None = None
    broker_ready: list[object] = field(default_factory=list)
    outages: Outages = field(default_factory=Outages)
    http: RequestsInFlight = field(default_factory=RequestsInFlight)
    amqp: AmqpProfile | None = None  # the AMQP profile, when there is one
    metrics: GatewayMetrics | None = None  # built with the application
    operations: Operations | None = None


def load_credentials(path: str | None, oauth: OAuthVerifier | None = None) -> Credentials | None:
    """The credentials file (and the identity provider's tokens, when OAuth2 is on), or
    ``StartupError`` saying what is wrong with it.  OAuth2 without a file: tokens only, and no
    loopback admin."""
    if not path:
        return None if oauth is None else Credentials([], oauth)
    try:
        return Credentials.load(path, oauth)
    except OrderError as e:  # unreadable, or not JSON
        raise StartupError(e.message) from None
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        raise StartupError(
            f"credentials file {path}: not as docs/identity.md describes ({short(e)})"
        ) from None


def _oauth(s: GatewaySettings) -> OAuthVerifier | None:
    if not (s.oauth_jwks_url and s.oauth_issuer and s.oauth_audience):
        return None
    return OAuthVerifier(
        OAuthSettings(
            s.oauth_jwks_url,
            s.oauth_issuer,
            s.oauth_audience,
            client_claim=s.oauth_client_claim,
            roles_claim=s.oauth_roles_claim,
        )
    )


def catalog_of(settings: GatewaySettings) -> Catalog:
    """The decomposition catalog (``ORDERGATE_CATALOG``), or ``StartupError`` naming the entry."""
    try:
        return load_catalog(settings.catalog_path)
    except CatalogError as e:
        raise StartupError(str(e)) from None


def build_gateway(settings: GatewaySettings) -> Gateway:
    credentials = load_credentials(settings.credentials_path, _oauth(settings))
    store = SqlaOrderStore(settings.database_url, pool_size=settings.database_pool_size)
    core = Settings(
        auto_start=settings.auto_start,
        switched_off=parse_switched_off(settings.switched_off),
        catalog=catalog_of(settings),
    )
    orders = OrderManagement(store, core)
    return Gateway(settings, store, orders, credentials, outages=Outages(settings.outage_log_seconds))


GATEWAY = web.AppKey("gateway", Gateway)


def _metrics(gw: Gateway) -> GatewayMetrics:
    """The gateway's instruments (``build_app`` makes them before wiring anything)."""
    assert gw.metrics is not None
    return gw.metrics


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "up"})


async def probe(gw: Gateway) -> dict[str, str | None]:
    """Each dependency: None when it is up, else why not (database, schema, broker)."""
    found: dict[str, str | None] = {}
    try:
        async with asyncio.timeout(5.0):
            state = await schema_state(gw.store.engine)
        found["database"] = None
        found["schema"] = None if state.at_head else f"the schema is {state}"
    except Exception as e:
        found["database"] = short(e) if not isinstance(e, TimeoutError) else "no answer within 5 s"
    for ready in gw.broker_ready:
        found["broker"] = None if await ready() else "not connected (reconnecting)"  # type: ignore[operator]
    return found


async def _ready(request: web.Request) -> web.Response:
    """Ready: the database answers, its schema is the code's, the broker (if any) is connected."""
    found = await probe(request.app[GATEWAY])
    # no "schema" while the database does not answer: its state is then unknown, not wrong
    checks = {name: reason is None for name, reason in found.items()}
    ok = all(checks.values())
    body: dict[str, object] = {"status": "ready" if ok else "unavailable", "checks": checks}
    if not ok:
        body["problems"] = {name: reason for name, reason in found.items() if reason is not None}
    return web.json_response(body, status=200 if ok else 503)


async def _open_store(app: web.Application) -> AsyncIterator[None]:
    """The schema checked (an SQLite file brought up to date) before anything serves; on the way
    out, after the relay stopped, what is still owed to the event consumers.

    A database out of reach does not stop the application here: ``serve`` waited for it
    already (``ordergate.startup``), and an application built otherwise starts not ready,
    answering ``remote`` until the database is back."""
    gw = app[GATEWAY]
    try:
        try:
            await ensure_schema(gw.store)
        except Exception as e:
            if dependency_of(e) != "database":
                raise
            gw.outages.failed("database", short(e))
        yield
        log.info("%s", await _owed(gw.store))
    finally:
        await gw.store.close()


async def _owed(store: SqlaOrderStore) -> str:
    try:
        owed = len(await store.unpublished(1000))
    except Exception:  # the database is gone too: the outbox keeps them all the same
        return "events still owed to consumers: unknown (database unavailable); they wait in the outbox"
    return f"{owed}{'+' if owed == 1000 else ''} events still owed to consumers wait in the outbox"


async def _watch_outages(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]

    async def probed() -> dict[str, str | None]:
        return await probe(gw)

    task = asyncio.create_task(gw.outages.watch(probed), name="outage-watch")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def _run_relay(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]
    gw.relay = OutboxRelay(gw.store, gw.publishers, observe=observers.relay_observer(_metrics(gw)))
    task = asyncio.create_task(gw.relay.run_forever(), name="outbox-relay")
    yield
    await stop_worker(task, gw.relay.stop)


async def _run_jeopardy_watch(app: web.Application) -> AsyncIterator[None]:
    """The jeopardy watch: one across all gateway processes (lease ``jeopardy``)."""
    gw = app[GATEWAY]
    if gw.settings.extra.get("jeopardy_watch") == "off":  # tests that play the clock themselves
        yield
        return
    watch = JeopardyWatch(gw.store, gw.store, interval_seconds=gw.settings.jeopardy_interval_seconds)
    task = asyncio.create_task(watch.run_forever(), name="jeopardy-watch")
    yield
    await stop_worker(task, watch.stop)


async def _run_retention(app: web.Application) -> AsyncIterator[None]:
    """Retention: one pruner across all gateway processes (lease ``retention``)."""
    from adapters.sql.retention import SqlaRetention

    gw = app[GATEWAY]
    s = gw.settings
    pruner = RetentionPruner(
        SqlaRetention(gw.store.engine),
        RetentionSettings(
            request_log_seconds=s.retention_request_log_seconds,
            delivered_seconds=s.retention_delivered_seconds,
            failed_seconds=s.retention_failed_seconds,
            suspended_subscription_seconds=s.retention_suspended_subscription_seconds,
            hub_event_seconds=s.retention_hub_event_seconds,
            batch=s.retention_batch,
            interval_seconds=s.retention_interval_seconds,
        ),
    )
    task = asyncio.create_task(pruner.run_forever(), name="retention")
    yield
    await stop_worker(task, pruner.stop)


# Each profile is wired in its own function below.


def _wire_rest(app: web.Application, gw: Gateway) -> None:
    """REST profile (TMF622/641/652/697): routes, hub publisher and dispatcher."""
    from adapters.rest import RestSettings, setup_rest

    s = gw.settings
    settings = RestSettings.from_extra(
        s.extra,
        **({"public_url": s.public_url} if s.public_url else {}),
        hub_allowed_networks=s.hub_allowed_networks,
        hub_max_subscriptions_per_client=s.hub_max_subscriptions_per_client,
        hub_failures_before_suspension=s.hub_failures_before_suspension,
        hub_timeout_seconds=s.hub_timeout_seconds,
        hub_max_attempts=s.hub_max_attempts,
        hub_max_in_flight=s.hub_max_in_flight,
        hub_max_in_flight_per_client=s.hub_max_in_flight_per_client,
    )
    host = "127.0.0.1" if gw.settings.host in ("0.0.0.0", "::", "") else gw.settings.host
    profile = setup_rest(
        app, gw.orders, gw.store, gw.credentials, settings, f"http://{host}:{gw.settings.port}"
    )
    gw.publishers.append(profile.publisher)
    profile.dispatcher.observe = observers.hub_observer(_metrics(gw))
    app.cleanup_ctx.append(profile.run_dispatcher)


def _wire_soap(app: web.Application, gw: Gateway) -> None:
    """SOAP profile: /soap/OrderManagement (POST envelopes, GET ?wsdl)."""
    from adapters.operations import note
    from adapters.soap import setup_soap

    # optional tuning, e.g. for benchmarks: settings.extra["soap_offload_bytes"] = "1048576"
    extra = gw.settings.extra
    tuning = {k: int(extra[f"soap_{k}"]) for k in ("max_in_flight", "offload_bytes") if f"soap_{k}" in extra}
    setup_soap(app, gw.orders, gw.credentials, gw.settings.max_body_bytes, note, **tuning)


def _wire_xml(app: web.Application, gw: Gateway) -> None:
    """The shared XML vocabulary: GET /xml/ordermanagement.xsd and the JSON-as-XML schema it imports."""
    from adapters.xml.schema import FILES, xsd_bytes

    for name in FILES:
        body = xsd_bytes(name)

        async def schema(_request: web.Request, body: bytes = body) -> web.Response:
            return web.Response(body=body, content_type="application/xml")

        app.router.add_get(f"/xml/{name}", schema)


def _wire_amqp(app: web.Application, gw: Gateway) -> None:
    """XML-over-AMQP profile, when an AMQP URL is set: listener and event publisher."""
    s, url = gw.settings, gw.settings.amqp_url
    if not url:
        return
    from adapters.amqp import AmqpProfile, AmqpSettings

    profile = AmqpProfile(
        AmqpSettings(
            url=url,
            prefetch=s.amqp_prefetch,
            concurrency=s.amqp_concurrency,
            # the HTTP body limit bounds request messages too
            max_message_bytes=s.max_body_bytes,
            max_query_replies=s.amqp_max_query_replies,
            max_reply_bytes=s.amqp_max_reply_bytes,
            max_query_bytes=s.amqp_max_query_bytes,
            queue_type=s.amqp_queue_type,
            dead_letter_max_messages=s.amqp_dead_letter_max_messages,
            dead_letter_max_bytes=s.amqp_dead_letter_max_bytes,
        ),
        gw.orders,
        gw.credentials,
        observers.amqp_observer(_metrics(gw)),
    )
    app.cleanup_ctx.append(profile.serve)
    gw.publishers.append(profile.publisher)
    gw.broker_ready.append(profile.ready)
    gw.amqp = profile


def _wire_operations(app: web.Application, gw: Gateway) -> None:
    """GET /metrics, and the sampling of this process's pools and AMQP requests in flight."""
    amqp = gw.amqp
    gw.operations = setup_operations(
        app,
        _metrics(gw),
        gw.store.engine,
        observers.store_pools(gw.store),
        (lambda: amqp.in_flight) if amqp is not None else None,
    )


def _wire_dashboard(app: web.Application, gw: Gateway) -> None:
    """GET /dashboard for admins: the metrics' database figures, the store's, the core's report."""
    from adapters.operations.dashboard import DashboardSources, setup_dashboard
    from adapters.rest.vocabulary import KINDS
    from adapters.sql.dashboard import SqlaDashboardFigures
    from core.usecases.reporting import ReportProvisioning

    assert gw.operations is not None  # wired before
    sources = DashboardSources(
        figures=SqlaDashboardFigures(gw.store.engine),
        report=ReportProvisioning(gw.store),
        book=gw.operations.book.refresh,
        probe=lambda: probe(gw),
        href=lambda kind, order_id: f"{KINDS[kind].collection_path}/{order_id}",
        amqp=bool(gw.settings.amqp_url),
    )
    setup_dashboard(app, sources, gw.credentials)


def _infrastructure(outages: Outages) -> Callable[[BaseException], bool]:
    """For the HTTP profiles: does this failure mean the database or the broker is unavailable?
    When it does, the outage is noted at once (the watch would notice it within seconds)."""

    def judge(error: BaseException) -> bool:
        dependency = dependency_of(error)
        if dependency is not None:
            outages.failed(dependency, short(error))
        return dependency is not None

    return judge


def build_app(settings: GatewaySettings, gateway: Gateway | None = None) -> web.Application:
    from adapters.rest.errors import INFRASTRUCTURE as REST_INFRASTRUCTURE
    from adapters.soap.endpoint import INFRASTRUCTURE as SOAP_INFRASTRUCTURE
    from adapters.xml import XmlOrderOperations

    gw = gateway or build_gateway(settings)
    gw.metrics = gw.metrics or GatewayMetrics(XmlOrderOperations.operation_names())
    middlewares: list[Middleware] = [gw.http, RequestMetrics(gw.metrics)]
    app = web.Application(client_max_size=settings.max_body_bytes, middlewares=middlewares)
    app[GATEWAY] = gw
    app[REST_INFRASTRUCTURE] = app[SOAP_INFRASTRUCTURE] = _infrastructure(gw.outages)
    app.router.add_get("/healthz", _health)
    app.router.add_get("/readyz", _ready)
    app.cleanup_ctx.append(_open_store)
    app.cleanup_ctx.append(_watch_outages)
    _wire_rest(app, gw)
    _wire_soap(app, gw)
    _wire_xml(app, gw)
    _wire_amqp(app, gw)
    _wire_operations(app, gw)
    _wire_dashboard(app, gw)
    app.cleanup_ctx.append(_run_relay)
    app.cleanup_ctx.append(_run_retention)
    app.cleanup_ctx.append(_run_jeopardy_watch)
    return app
