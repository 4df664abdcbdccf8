"""One gateway serving every profile (REST and SOAP on loopback HTTP, AMQP on a throw-away
vhost), and a driver of each profile around it, with both event channels.

One credentials file names each actor's API key and broker user, so the same
actor is the same client in every profile.  Shared by the tests that carry one
order through several profiles.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from aiohttp import web

from adapters.identity import hash_key
from ordergate.bootstrap import build_app, build_gateway
from ordergate.settings import GatewaySettings
from tests.amqp_broker import EventWatcher, broker_url
from tests.amqp_gateway import ROLES, RunningGateway, served_schema, user_of, wait_ready
from tests.conformance.drivers.amqp import AmqpDriver
from tests.conformance.drivers.rest import RestDriver
from tests.conformance.drivers.soap import SoapDriver
from tests.integration.rest.gateway import FAST_HUB, EventListener, RestGateway, free_socket
from tests.soap_gateway import CollectingPublisher, SoapGateway, key_of


@dataclass
class Profiles:
    """The three drivers on the one gateway, and the two event channels."""

    rest: RestDriver
    soap: SoapDriver
    amqp: AmqpDriver
    hub: EventListener
    topic: EventWatcher


def write_credentials(path: Path, actor_urls: dict[str, str]) -> dict[str, str]:
    """One file for every profile: each actor's API key (REST, SOAP) and broker user (AMQP)."""
    suffix = uuid.uuid4().hex[:8]
    ids = {actor: f"{actor}-{suffix}" for actor in ROLES}
    clients = [
        {
            "clientId": ids[actor],
            "roles": roles,
            "keySha256": hash_key(key_of(actor)),
            "amqpUser": user_of(actor_urls[actor]),
        }
        for actor, roles in ROLES.items()
    ]
    path.write_text(json.dumps({"clients": clients}))
    return ids


@asynccontextmanager
async def one_gateway(
    database_url: str,
    vhost: str,
    actor_urls: dict[str, str],
    workdir: Path,
    catalog_path: str | None = None,
) -> AsyncIterator[Profiles]:
    """``build_app`` once, on a free loopback port and the vhost; every driver built around it."""
    credentials = workdir / "credentials.json"
    client_ids = write_credentials(credentials, actor_urls)
    sock = free_socket()
    port = sock.getsockname()[1]
    settings = GatewaySettings(
        database_url=database_url,
        port=port,
        credentials_path=str(credentials),
        amqp_url=broker_url("guest", "guest", vhost),
        # no jeopardy watch of its own: an official sample's past dates would put it in jeopardy
        # between two reads of one step (tests/integration/usecases/test_tracking.py tests the watch)
        extra={**FAST_HUB, "jeopardy_watch": "off"},
        catalog_path=catalog_path,
    )
    gateway = build_gateway(settings)
    published = CollectingPublisher()  # the SOAP gateway object wants one; its events are not used
    gateway.publishers.append(published)
    app = build_app(settings, gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        http_url = f"http://127.0.0.1:{port}"
        await wait_ready(http_url)
        schema = await served_schema(http_url)
        running = RunningGateway(http_url, settings.amqp_url or "", schema, gateway)
        keys = {actor: key_of(actor) for actor in ROLES}
        async with aiohttp.ClientSession() as session:
            hub = await EventListener().start()
            rest = RestDriver(RestGateway(http_url, keys, client_ids, session, app), hub)
            soap = SoapDriver(SoapGateway(f"{http_url}/soap/OrderManagement", gateway, published))
            amqp = await AmqpDriver(running, actor_urls).open()
            topic = await EventWatcher(running.amqp_url, schema).open()
            try:
                await rest.subscribe()
                yield Profiles(rest, soap, amqp, hub, topic)
            finally:
                await rest.unsubscribe()
                await topic.close()
                await amqp.close()
                await hub.stop()
            assert not amqp.invalid, amqp.invalid
            assert not topic.invalid, topic.invalid
    finally:
        await runner.cleanup()
        sock.close()
