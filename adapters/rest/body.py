"""Reading request bodies and preconditions: media type, size, JSON, If-Match."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from adapters.rest.errors import RestError
from core.document.limits import shown

JSON = "application/json"
MERGE_PATCH = "application/merge-patch+json"


async def read_json(request: web.Request, *, patch: bool = False) -> Any:
    """The decoded JSON body; 415 for another media type, 413 past the size limit, 400 if malformed."""
    accepted = (JSON, MERGE_PATCH) if patch else (JSON,)
    if request.content_type not in accepted:
        raise RestError(415, f"the body must be {' or '.join(accepted)}, not {request.content_type!r}")
    charset = (request.charset or "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise RestError(415, f"the body must be UTF-8, not {charset}")
    raw = await request.read()  # raises 413 past the application's client_max_size
    if not raw.strip():
        raise RestError(400, "the request body is empty")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RestError(400, f"the body is not valid JSON: {e}") from None


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(request: web.Request) -> int | None:
    """The version a conditional request names (None: unconditional); 412 when it cannot match."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    # versions are counters from 1: eighteen digits hold any the store can reach
    if not (tag.isascii() and tag.isdigit()) or len(tag) > 18:
        raise RestError(412, f"If-Match {shown(header)} names no version of this order")
    return int(tag)


def flag(request: web.Request, name: str) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        raise RestError(400, f"{name} must be true or false")
    return raw.lower() == "true"
