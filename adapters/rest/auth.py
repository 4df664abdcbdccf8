"""Who is calling: ``Authorization: Bearer <key or JWT>`` -> ``Caller``, once per request.

Without a credentials file only loopback clients are served, as the local
admin (``adapters.identity``); a refusal is a 401 with the TMF error body
(a token granting none of the gateway's roles: 403).
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from adapters.identity import Credentials, identify_http
from adapters.rest.errors import Handler
from core.domain.model import Caller

CALLER = web.RequestKey("caller", Caller)


def identify(credentials: Credentials | None) -> Middleware:
    """A middleware resolving the caller before any handler runs."""

    @web.middleware
    async def caller_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        request[CALLER] = await identify_http(credentials, authorization, request.remote)
        return await handler(request)

    return caller_middleware
