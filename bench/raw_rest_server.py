"""The raw REST baseline: aiohttp + asyncpg and nothing else.

It takes the same ``POST {base}/serviceOrder`` body as the gateway and
stores it in one INSERT (autocommit) into the same ``orders`` table, with no
validation, no domain model, no outbox: the least an HTTP service could do
with the request.  The gateway's rate as a share of this one is the price of
the REST profile, the core and the persistence adapter together.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

PATH = "/tmf-api/serviceOrdering/v4/serviceOrder"
POOL = web.AppKey("pool", asyncpg.Pool)

_INSERT = """
INSERT INTO orders (id, kind, client_id, state, order_type, external_id, order_date, version, document)
VALUES ($1, 'serviceOrder', 'raw', 'acknowledged', 'ServiceOrder', $2, $3, 1, $4::jsonb)
"""


async def create_service_order(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"code": "400", "reason": "body is not JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"code": "400", "reason": "body is not an object"}, status=400)
    now = datetime.now(UTC)
    order_id = str(uuid.uuid4())
    href = f"{PATH}/{order_id}"
    order = {
        **body,
        "id": order_id,
        "href": href,
        "state": "acknowledged",
        "orderDate": now.isoformat().replace("+00:00", "Z"),
        "@type": "ServiceOrder",
    }
    external_id = body.get("externalId") if isinstance(body.get("externalId"), str) else None
    await request.app[POOL].execute(
        _INSERT, order_id, external_id, now.replace(tzinfo=None), json.dumps(order)
    )
    return web.json_response(order, status=201, headers={"Location": href})


def build_raw_app(dsn: str, pool_size: int) -> web.Application:
    """The baseline server on the database at ``dsn`` (plain ``postgresql://`` DSN)."""

    async def pool_ctx(app: web.Application) -> AsyncIterator[None]:
        app[POOL] = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        yield
        await app[POOL].close()

    app = web.Application()
    app.cleanup_ctx.append(pool_ctx)
    app.router.add_post(PATH, create_service_order)
    return app
