"""The REST profile's one error table, and the middleware that applies it.

Every failure leaves as a TMF630 error body ``{code, reason, message,
status, @type: "Error"}``: core errors through ``STATUS`` (keyed on the
core's stable ``kind``), HTTP-level failures (unknown path, wrong method,
body too large) with their own status, anything unexpected as 500 without
internals.

An infrastructure failure (database or broker unavailable: the core's
``remote`` kind) is 503 with ``Retry-After``, and is not logged here: during
an outage every request fails alike, and the gateway logs the outage once
(``ordergate.outage``).  A failure that reaches this middleware without the
core having named it is recognised by the predicate the composition root
puts under ``INFRASTRUCTURE`` (the store's own test), so it too is a 503,
never a 500 with a traceback per request.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from adapters.identity import Unauthenticated
from core.domain.errors import OrderError

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5  # what a 503 asks the caller to wait before trying again
# set by the composition root: does this exception mean the database (or broker) is unavailable?
# (asked for every infrastructure failure: the composition root also notes the outage)
INFRASTRUCTURE: web.AppKey[Callable[[BaseException], bool]] = web.AppKey("infrastructure_failure")

# core error kind -> (HTTP status, reason)
STATUS: dict[str, tuple[int, str]] = {
    "illegalArgument": (400, "Bad request"),
    "illegalAttributeValue": (400, "Invalid attribute value"),
    "permissionDenied": (403, "Forbidden"),
    "objectNotFound": (404, "Not found"),
    "unsupportedOperation": (405, "Operation not supported"),
    "illegalState": (409, "Illegal state"),
    "duplicateKey": (409, "Duplicate key"),
    "resyncRequired": (412, "Version mismatch"),
    "remote": (503, "Service unavailable"),
}

# HTTP-level failures that never reach the core
HTTP_CODES: dict[int, str] = {
    400: "malformedRequest",
    401: "unauthenticated",
    404: "notFound",
    405: "methodNotAllowed",
    412: "preconditionFailed",
    413: "payloadTooLarge",
    415: "unsupportedMediaType",
}


class RestError(Exception):
    """A transport-level refusal (media type, malformed JSON, precondition ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_body(status: int, code: str, reason: str, message: str) -> dict[str, Any]:
    return {"code": code, "reason": reason, "message": message, "status": str(status), "@type": "Error"}


def error_of(exc: OrderError) -> tuple[int, dict[str, Any]]:
    status, reason = STATUS.get(exc.kind, (500, "Internal error"))
    return status, error_body(status, exc.kind, reason, exc.message)


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> web.Response:
    if status == 503:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_SECONDS)}
    return web.json_response(body, status=status, headers=headers)


def _unavailable(request: web.Request, error: Exception) -> bool:
    infrastructure = request.config_dict.get(INFRASTRUCTURE)
    return infrastructure is not None and infrastructure(error)


def _http_error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    code = HTTP_CODES.get(status, "httpError")
    reason = code[0].upper() + "".join(f" {c.lower()}" if c.isupper() else c for c in code[1:])
    return _json(status, error_body(status, code, reason, message), headers)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def tmf_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except OrderError as e:
        if e.kind == "remote":
            _unavailable(request, e)  # the composition root notes the outage
        status, body = error_of(e)
        return _json(status, body)
    except RestError as e:
        return _http_error(e.status, e.message)
    except Unauthenticated as e:
        return _http_error(401, str(e), {"WWW-Authenticate": 'Bearer realm="ordergate"'})
    except web.HTTPException as e:
        if e.status < 400:
            raise
        allow = {"Allow": e.headers["Allow"]} if "Allow" in e.headers else None
        return _http_error(e.status, (e.text or "").strip() or e.reason, allow)
    except Exception as e:
        if _unavailable(request, e):
            message = "the gateway cannot reach its database or broker now: retry later"
            return _json(503, error_body(503, "remote", STATUS["remote"][1], message))
        log.exception("REST %s %s failed", request.method, request.path)
        return _json(
            500, error_body(500, "internalError", "Internal error", "the request could not be served")
        )
