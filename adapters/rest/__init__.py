"""The REST profile: TMF622 / TMF641 / TMF652 / TMF697 v4 over the core (aiohttp).

``setup_rest`` mounts every TMF route under ``/tmf-api`` (a sub-application
with its own error and identity middlewares), serves ``/openapi.json``, and
returns the hub's outbox publisher and the dispatcher's lifecycle for the
composition root to wire.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from aiohttp import web

from adapters.identity import Credentials
from adapters.rest.auth import identify
from adapters.rest.bulk import BulkResource
from adapters.rest.cancel import CancelResource
from adapters.rest.dispatcher import HubDispatcher
from adapters.rest.errors import tmf_errors
from adapters.rest.hub import HubResource
from adapters.rest.metadata import MetadataResource
from adapters.rest.notifications import HubPublisher, HubStore
from adapters.rest.openapi import build_document, openapi_route
from adapters.rest.report import ProvisioningReportResource
from adapters.rest.resources import OrderResource
from adapters.rest.settings import RestSettings
from adapters.rest.tracking import TrackingResource
from adapters.rest.vocabulary import KINDS
from core.usecases import OrderManagement
from core.usecases.relay import stop_worker

__all__ = ["RestProfile", "RestSettings", "setup_rest"]

PREFIX = "/tmf-api"


@dataclass
class RestProfile:
    publisher: HubPublisher
    dispatcher: HubDispatcher

    async def run_dispatcher(self, _app: web.Application) -> AsyncIterator[None]:
        """``cleanup_ctx``: the hub dispatcher runs while the application does."""
        task = asyncio.create_task(self.dispatcher.run_forever(), name="hub-dispatcher")
        yield
        await stop_worker(task, self.dispatcher.stop)


def _routes(orders: OrderManagement, store: HubStore, settings: RestSettings) -> Iterable[web.RouteDef]:
    yield from MetadataResource(orders).routes()
    yield from ProvisioningReportResource(orders).routes()
    for tk in KINDS.values():
        single = OrderResource(tk, orders, settings)
        cancel = CancelResource(tk, orders, settings)
        # the bulk paths first, so they are not taken for order ids
        yield from BulkResource(single).routes()
        yield from single.routes()
        yield from TrackingResource(single).routes()
        yield from cancel.routes()
        yield from HubResource(tk, store, settings).routes()


def setup_rest(
    app: web.Application,
    orders: OrderManagement,
    store: HubStore,
    credentials: Credentials | None,
    settings: RestSettings,
    events_base_url: str,
) -> RestProfile:
    """Mount the REST profile on ``app``; ``events_base_url`` prefixes hrefs in hub events."""
    tmf = web.Application(middlewares=[tmf_errors, identify(credentials)])
    for route in _routes(orders, store, settings):
        tmf.router.add_route(route.method, route.path.removeprefix(PREFIX), route.handler)
    app.add_subapp(PREFIX, tmf)
    app.router.add_routes([openapi_route(build_document())])
    dispatcher = HubDispatcher(store, settings, settings.public_url or events_base_url)
    return RestProfile(HubPublisher(store, dispatcher.wake), dispatcher)
