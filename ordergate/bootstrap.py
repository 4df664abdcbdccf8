"""The composition root: builds every part of the gateway from settings.

Nothing here runs at import time.  ``build_app`` wires the store, the core,
the outbox relay and every profile into one aiohttp application; the
background workers start and stop with the app (``cleanup_ctx``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web

from adapters.identity import Credentials
from adapters.sql import SqlaOrderStore, migrate_async
from core.ports import EventPublisher
from core.usecases import OrderManagement, Settings
from core.usecases.management import parse_switched_off
from core.usecases.relay import OutboxRelay, stop_worker
from ordergate.settings import GatewaySettings

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


def build_gateway(settings: GatewaySettings) -> Gateway:
    store = SqlaOrderStore(settings.database_url)
    core = Settings(auto_start=settings.auto_start, switched_off=parse_switched_off(settings.switched_off))
    orders = OrderManagement(store, core)
    credentials = Credentials.load(settings.credentials_path) if settings.credentials_path else None
    return Gateway(settings, store, orders, credentials)


GATEWAY = web.AppKey("gateway", Gateway)


async def _health(_request: web.Request) -> web.Response:
    return web.json_response({"status": "up"})


async def _ready(request: web.Request) -> web.Response:
    gw = request.app[GATEWAY]
    checks = {"database": await gw.store.ping()}
    for probe in gw.broker_ready:
        checks["broker"] = bool(await probe())  # type: ignore[operator]
    ok = all(checks.values())
    return web.json_response(
        {"status": "ready" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


async def _open_store(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]
    if gw.store.sqlite:
        # the embedded default brings its own file up to date
        await migrate_async(gw.settings.database_url)
    yield
    await gw.store.close()


async def _run_relay(app: web.Application) -> AsyncIterator[None]:
    gw = app[GATEWAY]
    gw.relay = OutboxRelay(gw.store, gw.publishers)
    task = asyncio.create_task(gw.relay.run_forever(), name="outbox-relay")
    yield
    await stop_worker(task, gw.relay.stop)


# Each profile is wired in its own function below.


def _wire_rest(app: web.Application, gw: Gateway) -> None:
    """REST profile (TMF622/641/652/697): routes, hub publisher and dispatcher."""
    from adapters.rest import RestSettings, setup_rest

    settings = RestSettings.from_extra(gw.settings.extra)
    host = "127.0.0.1" if gw.settings.host in ("0.0.0.0", "::", "") else gw.settings.host
    profile = setup_rest(
        app, gw.orders, gw.store, gw.credentials, settings, f"http://{host}:{gw.settings.port}"
    )
    gw.publishers.append(profile.publisher)
    app.cleanup_ctx.append(profile.run_dispatcher)


def _wire_soap(app: web.Application, gw: Gateway) -> None:
    """SOAP profile: /soap/OrderManagement (POST envelopes, GET ?wsdl)."""
    from adapters.soap import setup_soap

    # optional tuning, e.g. for benchmarks: settings.extra["soap_offload_bytes"] = "1048576"
    extra = gw.settings.extra
    tuning = {k: int(extra[f"soap_{k}"]) for k in ("max_in_flight", "offload_bytes") if f"soap_{k}" in extra}
    setup_soap(app, gw.orders, gw.credentials, gw.settings.max_body_bytes, **tuning)


def _wire_xml(app: web.Application, gw: Gateway) -> None:
    """The shared XML vocabulary: GET /xml/ordermanagement.xsd."""
    from adapters.xml import xsd_bytes

    body = xsd_bytes()

    async def schema(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/xml")

    app.router.add_get("/xml/ordermanagement.xsd", schema)


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
        ),
        gw.orders,
        gw.credentials,
    )
    app.cleanup_ctx.append(profile.serve)
    gw.publishers.append(profile.publisher)
    gw.broker_ready.append(profile.ready)


def build_app(settings: GatewaySettings, gateway: Gateway | None = None) -> web.Application:
    gw = gateway or build_gateway(settings)
    app = web.Application(client_max_size=settings.max_body_bytes)
    app[GATEWAY] = gw
    app.router.add_get("/healthz", _health)
    app.router.add_get("/readyz", _ready)
    app.cleanup_ctx.append(_open_store)
    _wire_rest(app, gw)
    _wire_soap(app, gw)
    _wire_xml(app, gw)
    _wire_amqp(app, gw)
    app.cleanup_ctx.append(_run_relay)
    return app
