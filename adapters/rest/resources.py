"""The order resources: ``{base}/{kind}Order`` and ``{base}/{kind}Order/{id}``.

Each handler reads the request, makes one ``OrderManagement`` call and
renders the result; states, rules and visibility are the core's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from typing import Any

import orjson
from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.body import etag, flag, if_match, read_json
from adapters.rest.errors import RestError
from adapters.rest.filters import fields_of, list_request
from adapters.rest.listing import page_headers
from adapters.rest.mapping import history_to_tmf, order_href, order_to_tmf, select_fields
from adapters.rest.names import tmf_words
from adapters.rest.parsing import order_value
from adapters.rest.patching import apply_patch
from adapters.rest.settings import RestSettings
from adapters.rest.validation import check_body
from adapters.rest.vocabulary import TmfKind
from core.document.render import history_to_dict, order_to_dict
from core.domain.errors import ObjectNotFound
from core.domain.feasibility import FeasibilityReport
from core.domain.model import Order
from core.domain.query import CountMode, Criterion, Op, OrderQuery
from core.ports import QueryPage
from core.usecases import OrderManagement


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response written by orjson: a page of fifty orders is several times faster to
    write than with the standard library's encoder, as the stored documents are."""
    return web.Response(
        body=orjson.dumps(body), status=status, headers=headers, content_type="application/json"
    )


def base_url(request: web.Request, settings: RestSettings) -> str:
    return settings.public_url or str(request.url.origin())


def only_parameters(request: web.Request, allowed: Collection[str]) -> None:
    unknown = sorted(set(request.query) - set(allowed))
    if unknown:
        raise RestError(400, f"unknown query parameter(s): {', '.join(unknown)}")


def create_value(tk: TmfKind, body: Any) -> dict[str, Any]:
    """The canonical value of a create body, checked against the official create schema first."""
    check_body(tk, body)
    return order_value(tk, body)


def feasibility_to_tmf(tk: TmfKind, report: FeasibilityReport) -> dict[str, Any]:
    return {
        "feasible": report.feasible,
        "reasons": list(report.reasons),
        tk.item_key: [
            {"id": i.item_id, "feasible": i.feasible, "reasons": list(i.reasons)} for i in report.items
        ],
        "@type": "OrderFeasibility",
    }


class OrderResource:
    """Handlers for one order kind, bound at start-up."""

    def __init__(self, tk: TmfKind, orders: OrderManagement, settings: RestSettings) -> None:
        self.tk = tk
        self.orders = orders
        self.settings = settings

    def routes(self) -> list[web.RouteDef]:
        collection = self.tk.collection_path
        return [
            web.get(collection, self.list),
            web.post(collection, self.create),
            web.get(collection + "/{id}", self.retrieve),
            web.patch(collection + "/{id}", self.patch),
            web.delete(collection + "/{id}", self.delete),
            web.get(collection + "/{id}/history", self.history),
        ]

    def render(
        self, request: web.Request, order: Order, fields: frozenset[str] | None = None
    ) -> dict[str, Any]:
        doc = order_to_tmf(
            self.tk, order_to_dict(order, with_history=False), base_url(request, self.settings)
        )
        return select_fields(doc, fields)

    def respond(
        self, request: web.Request, order: Order, status: int = 200, fields: frozenset[str] | None = None
    ) -> web.Response:
        headers = {"ETag": etag(order.version)}
        if status == 201:
            headers["Location"] = order_href(base_url(request, self.settings), self.tk, order.id)
        return json_response(self.render(request, order, fields), status=status, headers=headers)

    def render_all(
        self, request: web.Request, orders: Sequence[Order], fields: frozenset[str] | None
    ) -> list[Any]:
        return [self.render(request, o, fields) for o in orders]

    def render_page(self, request: web.Request, page: QueryPage, fields: frozenset[str] | None) -> list[Any]:
        """A list page in TMF form: from the documents the store gave (no ``Order`` built, only
        the selected parts when ``fields`` is given), else from its orders."""
        if page.documents is None:
            return self.render_all(request, page.orders, fields)
        base = base_url(request, self.settings)
        return [select_fields(order_to_tmf(self.tk, doc, base), fields) for doc in page.documents]

    async def list(self, request: web.Request) -> web.Response:
        wanted = list_request(
            self.tk,
            request.query.items(),
            default_limit=self.settings.default_limit,
            max_limit=self.settings.max_limit,
        )
        page = await self.orders.query_orders(request[CALLER], wanted.query)
        headers = page_headers(request, page, wanted.next_cursor(page.after))
        return json_response(self.render_page(request, page, wanted.fields), headers=headers)

    async def retrieve(self, request: web.Request) -> web.Response:
        return await self.retrieve_order(request, request.match_info["id"])

    async def retrieve_order(self, request: web.Request, order_id: str) -> web.Response:
        only_parameters(request, {"fields", "archived"})
        fields, attributes = fields_of(self.tk, request.query.get("fields"))
        if flag(request, "archived"):
            return await self.retrieve_archived(request, order_id, fields, attributes)
        order = await self.orders.get_order(request[CALLER], self.tk.kind, order_id, attributes)
        return self.respond(request, order, fields=fields)

    async def retrieve_archived(
        self,
        request: web.Request,
        order_id: str,
        fields: frozenset[str] | None,
        attributes: tuple[str, ...] | None,
    ) -> web.Response:
        """An archived order, read as a query of the archive (the caller sees only its own)."""
        query = OrderQuery(
            kind=self.tk.kind,
            criteria=(Criterion("id", Op.EQ, (order_id,), self.tk.kind),),
            limit=1,
            attributes=attributes,
            archived=True,
            count=CountMode.NONE,
            as_documents=True,
        )
        page = await self.orders.query_orders(request[CALLER], query)
        if not page.documents:
            raise ObjectNotFound(f"no archived {self.tk.kind.value} {order_id!r}")
        doc = page.documents[0]
        body = select_fields(order_to_tmf(self.tk, doc, base_url(request, self.settings)), fields)
        return json_response(body, headers={"ETag": etag(doc["version"])})

    async def create(self, request: web.Request) -> web.Response:
        only_parameters(request, {"fields", "dryRun"})
        fields, _ = fields_of(self.tk, request.query.get("fields"))
        dry_run = flag(request, "dryRun")
        body = await read_json(request)
        await asyncio.sleep(0)  # a large body: its parse and its check are two steps, the loop let go between
        value = create_value(self.tk, body)
        with tmf_words(self.tk):
            if dry_run:
                report = self.orders.check_feasibility(request[CALLER], self.tk.kind, value)
                return web.json_response(feasibility_to_tmf(self.tk, report))
            order = await self.orders.create_order(request[CALLER], self.tk.kind, value)
        return self.respond(request, order, 201, fields)

    async def patch(self, request: web.Request) -> web.Response:
        body = await read_json(request, patch=True)
        return await self.patch_order(request, request.match_info["id"], body)

    async def patch_order(self, request: web.Request, order_id: str, body: Any) -> web.Response:
        only_parameters(request, {"fields"})
        fields, _ = fields_of(self.tk, request.query.get("fields"))
        order = await apply_patch(self.orders, request[CALLER], self.tk, order_id, body, if_match(request))
        return self.respond(request, order, fields=fields)

    async def delete(self, request: web.Request) -> web.Response:
        return await self.delete_order(request, request.match_info["id"])

    async def delete_order(self, request: web.Request, order_id: str) -> web.Response:
        only_parameters(request, ())
        await self.orders.remove_order(request[CALLER], self.tk.kind, order_id, if_match(request))
        return web.Response(status=204)

    async def history(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        entries = await self.orders.get_order_history(request[CALLER], self.tk.kind, request.match_info["id"])
        body = [history_to_tmf(self.tk, history_to_dict(h)) for h in entries]
        return web.json_response(
            body, headers={"X-Total-Count": str(len(body)), "X-Result-Count": str(len(body))}
        )
