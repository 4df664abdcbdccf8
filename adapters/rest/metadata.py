"""``GET /tmf-api/ordergate/v1/metadata``: what this gateway offers (extension).

The REST form of getOrderTypes, getSupportedOptionalOperations,
getQueryTypes and getEventTypes, plus ``makeOrderValue`` as
``GET /tmf-api/ordergate/v1/orderTemplate/{kind}?orderType=``.
"""

from __future__ import annotations

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.resources import only_parameters
from adapters.rest.vocabulary import KINDS
from core.domain.model import Kind
from core.usecases import OrderManagement

PATH = "/tmf-api/ordergate/v1"


class MetadataResource:
    def __init__(self, orders: OrderManagement) -> None:
        self.orders = orders

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get(f"{PATH}/metadata", self.metadata),
            web.get(PATH + "/orderTemplate/{kind}", self.template),
            web.get(f"{PATH}/catalog", self.catalog),
        ]

    async def metadata(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        _ = request[CALLER]  # any authenticated caller
        body = {
            "orderTypes": {k.value: v for k, v in self.orders.get_order_types().items()},
            "optionalOperations": self.orders.get_supported_optional_operations(),
            "queryTypes": self.orders.get_query_types(),
            "eventTypes": self.orders.get_event_types(),
            "tmfEventTypes": {tk.resource: sorted(tk.event_names) for tk in KINDS.values()},
            "@type": "GatewayMetadata",
        }
        return web.json_response(body)

    async def catalog(self, request: web.Request) -> web.Response:
        """The decomposition catalog the gateway runs with, as it was read (empty: none)."""
        only_parameters(request, ())
        _ = request[CALLER]
        return web.json_response(dict(self.orders.get_catalog()) or {"version": 1, "products": [], "services": []})

    async def template(self, request: web.Request) -> web.Response:
        only_parameters(request, {"orderType"})
        kind = Kind.parse(request.match_info["kind"])
        value = self.orders.make_order_value(kind, request.query.get("orderType"))
        tk = KINDS[kind]
        return web.json_response({"@type": value["orderType"], tk.item_key: value["items"]})
