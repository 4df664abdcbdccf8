"""``X-Request-ID`` on every HTTP request (REST, SOAP, health): taken from the caller or made up.

The id is set in ``REQUEST_ID`` while the request is served, so every log
line written meanwhile names it, and it goes back on the response, errors
included, so a caller can quote it.  A caller's id is kept when it is a
sensible token (1 to 128 visible ASCII characters of ``[A-Za-z0-9._:/+=@-]``);
anything else is replaced rather than echoed into headers and logs.

``RequestsInFlight`` counts the requests being served, for the gateway to
say at shutdown what it finished and what it had to cut.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from core.usecases.correlation import REQUEST_ID

HEADER = "X-Request-ID"
_ACCEPTABLE = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def request_id_of(request: web.Request) -> str:
    given = request.headers.get(HEADER, "")
    return given if _ACCEPTABLE.fullmatch(given) else uuid.uuid4().hex


class RequestsInFlight:
    """The middleware, counting what it serves: ``in_flight`` now, ``cut`` by cancellation so far."""

    __middleware_version__ = 1  # aiohttp's mark of a middleware taking (request, handler)

    def __init__(self) -> None:
        self.in_flight = 0
        self.cut = 0

    async def __call__(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        request_id = request_id_of(request)
        token = REQUEST_ID.set(request_id)
        self.in_flight += 1
        try:
            response = await handler(request)
        except web.HTTPException as e:  # raised, not returned (the router's 404, redirects)
            e.headers[HEADER] = request_id
            raise
        except asyncio.CancelledError:
            self.cut += 1
            raise
        finally:
            self.in_flight -= 1
            REQUEST_ID.reset(token)
        if not response.prepared:
            response.headers[HEADER] = request_id
        return response
