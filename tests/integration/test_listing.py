"""Listing on the SQL stores: a cursor pages through every order exactly once, under any
sort, whatever bounds a page; ``fields`` comes back from the store already narrowed; the
archive of closed orders is moved safely and read, never written.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.sql import SqlaOrderStore
from adapters.sql import tables as t
from adapters.sql.archive import archive_closed
from core.domain.errors import ObjectNotFound
from core.domain.model import Kind
from core.domain.query import CountMode, Criterion, Op, OrderQuery, SortKey
from core.usecases import OrderManagement
from tests.builders import ADMIN, ALICE, BOB, order_value

ORDERS = 23


async def _book(om: OrderManagement) -> list[str]:
    """Orders of two clients; every third has no description (a sort key some orders lack)."""
    ids = []
    for n in range(ORDERS):
        extra = {} if n % 3 == 0 else {"description": f"order {n % 5}"}
        caller = ALICE if n % 2 else BOB
        ids.append((await om.create_order(caller, Kind.SERVICE, order_value(**extra))).id)
    return ids


async def _walk(om: OrderManagement, **query: Any) -> list[str]:
    """Every page from the first, each starting after the last one's position."""
    seen: list[str] = []
    after = None
    for _ in range(ORDERS + 2):
        page = await om.query_orders(
            ADMIN, OrderQuery(kind=Kind.SERVICE, as_documents=True, after=after, **query)
        )
        assert page.documents is not None
        seen += [d["id"] for d in page.documents]
        if page.after is None:
            return seen
        after = page.after
    raise AssertionError("the cursor never reached the end")


@pytest.mark.parametrize(
    "sort",
    [(), (SortKey("orderDate", True),), (SortKey("description"),), (SortKey("description", True),)],
    ids=["default", "-orderDate", "description", "-description"],
)
async def test_a_cursor_pages_through_every_order_exactly_once(sql_store: SqlaOrderStore, sort):
    om = OrderManagement(sql_store)
    ids = await _book(om)
    everything = await om.query_orders(ADMIN, OrderQuery(kind=Kind.SERVICE, sort=sort, as_documents=True))
    assert everything.documents is not None
    in_order = [d["id"] for d in everything.documents]
    assert sorted(in_order) == sorted(ids)
    assert await _walk(om, sort=sort, limit=5) == in_order
    assert await _walk(om, sort=sort, limit=100, max_bytes=1) == in_order  # one order a page


async def test_a_page_bounded_in_bytes_ends_early_and_the_cursor_goes_on(sql_store: SqlaOrderStore):
    om = OrderManagement(sql_store)
    await _book(om)
    page = await om.query_orders(
        ADMIN, OrderQuery(kind=Kind.SERVICE, limit=20, as_documents=True, max_bytes=1500)
    )
    assert page.documents is not None
    assert 1 <= len(page.documents) < 20
    assert page.after is not None
    assert page.total == ORDERS


async def test_fields_come_back_narrowed_from_the_store(sql_store: SqlaOrderStore):
    om = OrderManagement(sql_store)
    await _book(om)
    query = OrderQuery(kind=Kind.SERVICE, attributes=("state",), as_documents=True, count=CountMode.NONE)
    page = await om.query_orders(ADMIN, query)
    assert page.documents
    assert page.orders == []
    assert page.count is CountMode.NONE
    allowed = {"id", "kind", "orderType", "@baseType", "version", "state"}
    assert all(set(d) <= allowed and "items" not in d for d in page.documents)


async def test_a_filter_on_items_pages_with_fields_as_the_reference_does(sql_store: SqlaOrderStore):
    """On SQLite ``items.state`` is filtered in Python, a few candidates at a time (more than
    one chunk here); PostgreSQL runs it in SQL.  Both page as the core's reference does."""
    om = OrderManagement(sql_store)
    ids = await _book(om)
    started = ids[1::3]
    for order_id in started:
        caller = ALICE if ids.index(order_id) % 2 else BOB
        await om.start_order(caller, Kind.SERVICE, order_id)
    criterion = Criterion("items.state", Op.EQ, ("inProgress",), Kind.SERVICE)
    wanted = sorted(started, key=ids.index)  # by order date: as created
    seen = await _walk(om, criteria=(criterion,), limit=3, attributes=("description",))
    assert seen == wanted
    page = await om.query_orders(
        ADMIN,
        OrderQuery(
            kind=Kind.SERVICE,
            criteria=(criterion,),
            limit=2,
            offset=1,
            attributes=("state",),
            as_documents=True,
        ),
    )
    assert page.total == len(started)
    assert page.documents is not None
    assert [d["id"] for d in page.documents] == wanted[1:3]
    assert all("items" not in d and d["state"] == "inProgress" for d in page.documents)


async def _close_some(om: OrderManagement) -> tuple[list[str], list[str]]:
    """Every other order cancelled (closed: bob's), the rest left open; (closed, open) ids."""
    ids = await _book(om)
    closed = ids[::2]
    for order_id in closed:
        caller = ALICE if ids.index(order_id) % 2 else BOB
        await om.abort_order(caller, Kind.SERVICE, order_id)
    return closed, [i for i in ids if i not in closed]


async def _ids_in(store: SqlaOrderStore, table: Any) -> set[str]:
    async with store.engine.connect() as conn:
        return {r.id for r in await conn.execute(table.select())}


async def test_archiving_moves_the_closed_orders_once_even_with_two_archivers(sql_store: SqlaOrderStore):
    om = OrderManagement(sql_store)
    closed, still_open = await _close_some(om)
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    runs = await asyncio.gather(*(archive_closed(sql_store.engine, tomorrow, batch=3) for _ in range(2)))
    assert sum(r.moved for r in runs) == len(closed)
    assert await _ids_in(sql_store, t.orders_archive) == set(closed)
    assert await _ids_in(sql_store, t.orders) == set(still_open)
    assert (await archive_closed(sql_store.engine, tomorrow)).moved == 0


async def test_orders_closed_after_the_date_stay(sql_store: SqlaOrderStore):
    om = OrderManagement(sql_store)
    await _close_some(om)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    assert (await archive_closed(sql_store.engine, yesterday)).moved == 0


async def test_the_archive_is_read_as_its_owner_sees_it_and_never_changed(sql_store: SqlaOrderStore):
    om = OrderManagement(sql_store)
    closed, _ = await _close_some(om)
    await archive_closed(sql_store.engine, datetime.now(UTC) + timedelta(days=1))
    archived = OrderQuery(kind=Kind.SERVICE, archived=True, as_documents=True)
    assert {d["id"] for d in (await om.query_orders(ADMIN, archived)).documents or ()} == set(closed)
    assert (await om.query_orders(ALICE, archived)).documents == []  # all of them are bob's
    mine = await om.query_orders(BOB, archived)
    assert {d["id"] for d in mine.documents or ()} == set(closed)
    one = OrderQuery(kind=Kind.SERVICE, criteria=(Criterion("id", Op.EQ, (closed[0],), Kind.SERVICE),))
    assert (await om.query_orders(ADMIN, one)).total == 0  # gone from the book
    with pytest.raises(ObjectNotFound):
        await om.remove_order(ADMIN, Kind.SERVICE, closed[0])
