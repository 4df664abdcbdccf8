"""The raw baseline for order creation: hand-written SQL on a plain asyncpg pool.

It writes what ``OrderManagement.create_order`` writes for the benchmark's
order value -- the ``orders`` row with the same columns and canonical
document, and the ``OrderCreate`` outbox row with the same payload -- in one
transaction per order, with no validation and no domain model.  ``create_raw``
is the plain way (a transaction of two INSERTs); ``create_raw_one_statement``
writes the same rows in one statement, one round trip, as the store does on
PostgreSQL: the least any implementation could do.  ``same_rows`` proves that both write the
same thing before the benchmark compares their speed.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

KIND = "serviceOrder"
ORDER_TYPE = "ServiceOrder"

_INSERT_ORDER = """
INSERT INTO orders (id, kind, client_id, state, order_type, external_id, priority, order_date,
                    requested_start_date, requested_completion_date, completion_date, version, document)
VALUES ($1, $2, $3, 'acknowledged', $4, $5, $6, $7, NULL, NULL, NULL, 1, $8::jsonb)
"""
_INSERT_EVENT = """
INSERT INTO outbox (event_id, order_id, event_type, payload, created_at)
VALUES ($1, $2, 'OrderCreate', $3::jsonb, $4)
"""


def order_value(i: int) -> dict[str, Any]:
    """The benchmark's order: two items, the second depending on the first."""
    return {
        "externalId": f"bench-{i}",
        "priority": "normal",
        "description": "Fibre access with a managed router",
        "relatedParties": [{"id": "cust-42", "role": "customer", "name": "Acme Ltd"}],
        "items": [
            {
                "id": "1",
                "action": "add",
                "entity": {
                    "specification": {"id": "fibre-access", "name": "Fibre access"},
                    "characteristics": [{"name": "bandwidth", "value": "1G"}, {"name": "vlan", "value": "100"}],
                },
            },
            {
                "id": "2",
                "action": "add",
                "entity": {
                    "specification": {"id": "managed-router", "name": "Managed router"},
                    "characteristics": [{"name": "model", "value": "X200"}],
                },
                "relationships": [{"type": "dependsOn", "itemId": "1"}],
            },
        ],
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _document(order_id: str, client_id: str, value: Mapping[str, Any], at: str) -> dict[str, Any]:
    items = [
        {**item, "state": "acknowledged", "quantity": item.get("quantity", 1)} for item in value["items"]
    ]
    return {
        "id": order_id,
        "kind": KIND,
        "clientId": client_id,
        "orderType": ORDER_TYPE,
        "state": "acknowledged",
        "version": 1,
        "priority": value["priority"],
        "description": value["description"],
        "externalId": value["externalId"],
        "relatedParties": value["relatedParties"],
        "items": items,
        "orderDate": at,
    }


def _rows(client_id: str, value: Mapping[str, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The orders row and the outbox row of one new order, as statement arguments."""
    now = datetime.now(UTC)
    at = _iso(now)
    order_id = str(uuid.uuid4())
    snapshot = _document(order_id, client_id, value, at)
    created = {"at": at, "actor": client_id, "toState": "acknowledged", "operation": "create"}
    stored = {**snapshot, "history": [created]}
    event = {
        "eventId": str(uuid.uuid4()),
        "type": "OrderCreate",
        "occurredAt": at,
        "orderId": order_id,
        "kind": KIND,
        "clientId": client_id,
        "state": "acknowledged",
        "order": snapshot,
        "previousState": None,
        "reason": None,
        "itemChanges": [],
        "changedFields": [],
        "actor": client_id,
    }
    naive = now.replace(tzinfo=None)
    order = (
        order_id,
        KIND,
        client_id,
        ORDER_TYPE,
        value["externalId"],
        value["priority"],
        naive,
        json.dumps(stored),
    )
    return order, (event["eventId"], order_id, json.dumps(event), naive)


async def create_raw(pool: asyncpg.Pool, client_id: str, value: Mapping[str, Any]) -> str:
    """Store one new order and its creation event, as the core would; returns its id.

    The plain way: a transaction holding one INSERT per row."""
    order, event = _rows(client_id, value)
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_INSERT_ORDER, *order)
        await conn.execute(_INSERT_EVENT, *event)
    return str(order[0])


_INSERT_BOTH = """
WITH o AS (
    INSERT INTO orders (id, kind, client_id, state, order_type, external_id, priority, order_date,
                        requested_start_date, requested_completion_date, completion_date, version, document)
    VALUES ($1, $2, $3, 'acknowledged', $4, $5, $6, $7, NULL, NULL, NULL, 1, $8::jsonb)
)
INSERT INTO outbox (event_id, order_id, event_type, payload, created_at)
VALUES ($9, $10, 'OrderCreate', $11::jsonb, $12)
"""


async def create_raw_one_statement(pool: asyncpg.Pool, client_id: str, value: Mapping[str, Any]) -> str:
    """The same rows in one statement (the order insert as a CTE): one round trip, no BEGIN
    or COMMIT, as the store sends a unit of work on PostgreSQL."""
    order, event = _rows(client_id, value)
    async with pool.acquire() as conn:
        await conn.execute(_INSERT_BOTH, *order, *event)
    return str(order[0])


# ---------------------------------------------------------------- same rows?

_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


def _masked(value: Any, ids: set[str]) -> Any:
    """Everything but what must differ between two orders: ids and timestamps."""
    if isinstance(value, dict):
        return {k: _masked(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, ids) for v in value]
    if isinstance(value, datetime) or (isinstance(value, str) and _DATE.match(value)):
        return "<time>"
    if isinstance(value, str) and value in ids:
        return "<id>"
    return value


async def stored_rows(conn: asyncpg.Connection, order_id: str) -> dict[str, Any]:
    order = await conn.fetchrow("SELECT * FROM orders WHERE id = $1", order_id)
    events = await conn.fetch(
        "SELECT event_id, order_id, event_type, payload, created_at"
        " FROM outbox WHERE order_id = $1 ORDER BY seq",
        order_id,
    )
    row = dict(order) if order is not None else {}
    if row:
        row["document"] = json.loads(row["document"])
    outbox = [{**dict(e), "payload": json.loads(e["payload"])} for e in events]
    ids = {order_id} | {e["event_id"] for e in events}
    return _masked({"order": row, "outbox": outbox}, ids)


async def same_rows(pool: asyncpg.Pool, core_order_id: str, raw_order_id: str) -> str | None:
    """None when both orders were stored alike, else what differs."""
    async with pool.acquire() as conn:
        core = await stored_rows(conn, core_order_id)
        raw = await stored_rows(conn, raw_order_id)
    if core == raw:
        return None
    return f"the raw baseline does not write what the core writes:\ncore: {core}\nraw:  {raw}"
