"""Milestones over REST: ``POST {base}/{kind}Order/{id}/milestone`` (extension).

A fulfiller reports a step of the work with a TMF641 v4.1 ``ServiceOrderMilestone``
body (``name``, ``status``, ``milestoneDate``, ``description``, ``message``, an
optional ``id``), on an order of any kind; the answer is the order, with the
milestone in its ``milestone`` list (201).  Jeopardy alerts are raised by the
gateway alone: they are read in ``jeopardyAlert``.
"""

from __future__ import annotations

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.body import if_match, read_json
from adapters.rest.resources import OrderResource, only_parameters


class TrackingResource:
    def __init__(self, single: OrderResource) -> None:
        self.single = single

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.single.tk.collection_path + "/{id}/milestone", self.add)]

    async def add(self, request: web.Request) -> web.Response:
        only_parameters(request, ())
        body = await read_json(request)
        order = await self.single.orders.add_milestone(
            request[CALLER], self.single.tk.kind, request.match_info["id"], body, if_match(request)
        )
        return self.single.respond(request, order, 201)
