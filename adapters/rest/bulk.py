"""The bulk extension: ``{base}/{kind}Order/bulk`` (documented in /openapi.json).

* ``POST …/bulk?mode=atomic`` (default): a JSON array of create bodies; every
  order is created or none (``createOrdersByValues``) -> 201, the orders.
* ``POST …/bulk?mode=bestEffort``: one result per input, in input order
  (``tryCreateOrdersByValues``) -> 200.
* ``PATCH …/bulk``: a JSON array of PATCH bodies each naming its ``id``; best
  effort, each element exactly like a single PATCH -> 200.
* ``DELETE …/bulk?id=a&id=b``: best-effort removal -> 200.
* ``GET …/bulk?id=a&id=b``: the orders, in that order, or 404 when one is
  unknown (``getOrdersByKeys``).

A best-effort result is ``{index, id, status, <kind>Order | error}`` (``id``: the
order the element named, left out when it named none) where
``status`` and ``error`` are what the single request would have answered.
An order whose id is literally ``bulk`` stays reachable: a GET or DELETE
without ``id`` parameters, or a PATCH with an object body, addresses it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.body import read_json
from adapters.rest.errors import RestError, error_of
from adapters.rest.filters import fields_of
from adapters.rest.names import tmf_words
from adapters.rest.patching import apply_patch
from adapters.rest.resources import OrderResource, create_value, only_parameters
from core.domain.errors import IllegalArgument
from core.domain.model import Order
from core.usecases import OrderManagement, Outcome

_MODES = ("atomic", "bestEffort")


def _array(body: Any, what: str) -> list[Any]:
    if not isinstance(body, list) or not body:
        raise IllegalArgument(f"a bulk {what} body must be a non-empty JSON array")
    return body


class BulkResource:
    def __init__(self, single: OrderResource) -> None:
        self.single = single
        self.tk = single.tk
        self.orders: OrderManagement = single.orders

    def routes(self) -> list[web.RouteDef]:
        path = self.tk.collection_path + "/bulk"
        return [
            web.post(path, self.create),
            web.patch(path, self.patch),
            web.delete(path, self.delete),
            web.get(path, self.retrieve),
        ]

    def _result(self, request: web.Request, outcome: Outcome, ok_status: int) -> dict[str, Any]:
        out: dict[str, Any] = {"index": outcome.index}
        if outcome.key is not None:  # an element that named no order has no id to give back
            out["id"] = outcome.key
        if outcome.error is not None:
            status, body = error_of(outcome.error)
            return out | {"status": status, "error": body}
        out["status"] = ok_status
        if outcome.order is not None:
            out[self.tk.resource] = self.single.render(request, outcome.order)
        return out

    async def _each(
        self, request: web.Request, calls: list[tuple[str | None, Callable[[], Awaitable[Any]]]], ok: int
    ) -> web.Response:
        # each element in its own transaction, exactly as the core's try… operations run them
        outcomes = [await self.orders.attempt(i, key, call) for i, (key, call) in enumerate(calls)]
        return web.json_response([self._result(request, o, ok) for o in outcomes])

    async def create(self, request: web.Request) -> web.Response:
        only_parameters(request, {"mode"})
        mode = request.query.get("mode", "atomic")
        if mode not in _MODES:
            raise RestError(400, f"mode must be one of {', '.join(_MODES)}")
        bodies = _array(await read_json(request), "create")
        caller, kind = request[CALLER], self.tk.kind
        if mode == "atomic":
            values = []
            for i, body in enumerate(bodies):
                try:
                    values.append(create_value(self.tk, body))
                except IllegalArgument as e:
                    e.message = f"order [{i}]: {e.message}"
                    e.args = (e.message,)
                    raise
            with tmf_words(self.tk):
                created = await self.orders.create_orders(caller, kind, values)
            return web.json_response(self.single.render_all(request, created, None), status=201)

        async def create(body: Any) -> Order:
            value = create_value(self.tk, body)
            with tmf_words(self.tk):
                return await self.orders.create_order(caller, kind, value)

        def create_one(body: Any) -> Callable[[], Awaitable[Order]]:
            return lambda: create(body)

        return await self._each(request, [(None, create_one(b)) for b in bodies], 201)

    async def patch(self, request: web.Request) -> web.Response:
        body = await read_json(request, patch=True)
        if isinstance(body, dict):
            return await self.single.patch_order(request, "bulk", body)
        only_parameters(request, ())
        caller = request[CALLER]

        def patch_one(element: Any) -> tuple[str | None, Callable[[], Awaitable[Order]]]:
            key = element.get("id") if isinstance(element, dict) else None
            if not isinstance(key, str) or not key:
                return None, lambda: _refuse("every element needs its order id")
            rest = {k: v for k, v in element.items() if k != "id"}
            return key, lambda: apply_patch(self.orders, caller, self.tk, key, rest, None)

        return await self._each(request, [patch_one(e) for e in _array(body, "patch")], 200)

    async def delete(self, request: web.Request) -> web.Response:
        ids = request.query.getall("id", [])
        if not ids:
            return await self.single.delete_order(request, "bulk")
        only_parameters(request, {"id"})
        caller, kind = request[CALLER], self.tk.kind

        def remove(key: str) -> Callable[[], Awaitable[None]]:
            return lambda: self.orders.remove_order(caller, kind, key)

        return await self._each(request, [(k, remove(k)) for k in ids], 204)

    async def retrieve(self, request: web.Request) -> web.Response:
        ids = request.query.getall("id", [])
        if not ids:
            return await self.single.retrieve_order(request, "bulk")
        only_parameters(request, {"id", "fields"})
        fields, attributes = fields_of(self.tk, request.query.get("fields"))
        found = await self.orders.get_orders(request[CALLER], self.tk.kind, ids, attributes)
        return web.json_response(self.single.render_all(request, found, fields))


async def _refuse(message: str) -> Order:
    raise IllegalArgument(message)
