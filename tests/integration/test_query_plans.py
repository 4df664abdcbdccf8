"""Every list the REST profile serves runs from an index on a book large enough that the
planner cares (200,000 orders, built in the database, analysed), and the estimate mode of
the count is the planner's and says so.

The queries are built as the REST profile builds them (``list_request`` from TMF
parameters), and the plans asked of PostgreSQL with ``EXPLAIN``: no sequential scan of
the orders, the index the query was given, and no sort of more than a page.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.rest.filters import cursor_token, list_request
from adapters.rest.vocabulary import KINDS
from adapters.sql import migrate
from adapters.sql.pages import count_matches, plan_of
from adapters.sql.queries import statements
from core.domain.model import Kind
from core.domain.query import CountMode, OrderQuery
from tests.conftest import create_database, drop_database
from tests.integration.rest.gateway import running_gateway

pytestmark = pytest.mark.postgres

ORDERS = 200_000
STATES = "completed,cancelled,failed,inProgress,acknowledged,held,pending,partial,rejected"
FILL = f"""
INSERT INTO orders (id, kind, client_id, state, order_type, version, order_date, document)
SELECT 'o-' || g, k.kind, 'client-' || (g % 500), s.state, 'T', 1,
       timestamp '2025-01-01' + g * interval '1 minute',
       jsonb_build_object(
         'id', 'o-' || g, 'kind', k.kind, 'state', s.state, 'orderType', 'T', 'version', 1,
         'items', jsonb_build_array(jsonb_build_object(
           'id', '1', 'action', 'add', 'state', s.state, 'quantity', 1,
           'entity', jsonb_build_object(
             'specification', jsonb_build_object('id', 'spec-' || (g % 300)),
             'characteristics', jsonb_build_array(
               jsonb_build_object('name', 'bandwidth', 'value', 'bw-' || (g % 50)))))))
FROM generate_series(1, {ORDERS}) AS g,
     LATERAL (SELECT (ARRAY['productOrder','serviceOrder','resourceOrder','workOrder'])[1 + g % 4] AS kind) k,
     LATERAL (SELECT (string_to_array('{STATES}', ','))[1 + (g / 7) % 9] AS state) s
"""


async def _fill(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(FILL)
        # statistics from every row (ANALYZE samples 300 x the target): the same plans every run
        await conn.execute("SET default_statistics_target = 1000")
        await conn.execute("VACUUM ANALYZE orders")
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def book_url() -> Iterator[str]:
    """A migrated database holding the book, built once for the module."""
    url = create_database("plans")
    migrate(url)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _fill(url)).result()
    yield url
    drop_database(url)


@pytest.fixture
async def book(book_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(book_url)
    yield engine
    await engine.dispose()


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _query(params: dict[str, str], kind: Kind = Kind.SERVICE) -> OrderQuery:
    return list_request(KINDS[kind], params.items(), default_limit=100, max_limit=1000).query


async def _page_plan(
    engine: AsyncEngine, q: OrderQuery, client_id: str | None = None
) -> list[dict[str, Any]]:
    page = statements(q, client_id, postgres=True).page
    assert page is not None
    async with engine.connect() as conn:
        return list(_nodes(await plan_of(conn, page)))


def _uses(nodes: list[dict[str, Any]], index: str) -> None:
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    assert index in {n.get("Index Name") for n in nodes}, [
        (n["Node Type"], n.get("Index Name")) for n in nodes
    ]


def _no_large_sort(nodes: list[dict[str, Any]]) -> None:
    """The order comes from the index: any sort is of a page's rows, not of the matches."""
    sorts = [n for n in nodes if n["Node Type"] == "Sort"]  # an incremental sort streams
    assert all(n["Plan Rows"] <= 200 for n in sorts), sorts


@pytest.mark.parametrize(
    ("params", "client_id", "index"),
    [
        ({"state": "inProgress", "limit": "50"}, None, "ix_orders_kind_state_date"),
        ({"limit": "50"}, None, "ix_orders_kind_date_id"),
        ({"offset": "40000", "limit": "50"}, None, "ix_orders_kind_date_id"),
        (
            {
                "orderDate.gte": "2025-02-01T00:00:00Z",
                "orderDate.lt": "2025-04-01T00:00:00Z",
                "sort": "orderDate",
            },
            "client-7",
            "ix_orders_client_kind_date_id",
        ),
    ],
    ids=["state", "kind", "deep offset", "client and dates"],
)
async def test_lists_run_from_an_index_in_its_order(book: AsyncEngine, params, client_id, index):
    nodes = await _page_plan(book, _query(params), client_id)
    _uses(nodes, index)
    _no_large_sort(nodes)


async def test_a_cursor_deep_in_the_book_starts_its_range_in_the_index(book: AsyncEngine):
    token = cursor_token("", ("2025-03-15T10:00:00Z", "o-90000"))
    nodes = await _page_plan(book, _query({"cursor": token, "limit": "50"}))
    _uses(nodes, "ix_orders_kind_date_id")
    _no_large_sort(nodes)
    scan = next(n for n in nodes if n.get("Index Name") == "ix_orders_kind_date_id")
    assert "order_date" in scan["Index Cond"]  # a range from the position, not a walk from the start


async def test_a_rare_nested_value_is_found_through_the_document_index(book: AsyncEngine):
    """An item's specification id held by one order in 300: the GIN index finds them."""
    params = {"serviceOrderItem.service.serviceSpecification.id": "spec-17", "limit": "50"}
    _uses(await _page_plan(book, _query(params)), "ix_orders_document")


async def test_a_common_nested_value_is_found_by_either_index_without_a_scan(book: AsyncEngine):
    """A characteristic value one order in fifty holds: the planner may walk the date index and
    stop at fifty matches, or take the GIN index; never a scan of the table, never a sort of
    every match."""
    params = {"serviceOrderItem.service.serviceCharacteristic.value": "bw-3", "limit": "50"}
    nodes = await _page_plan(book, _query(params))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    indexes = {n.get("Index Name") for n in nodes} - {None, "orders_pkey"}
    assert indexes & {"ix_orders_document", "ix_orders_kind_date_id", "ix_orders_order_date"}, indexes
    if "ix_orders_document" not in indexes:
        _no_large_sort(nodes)


async def test_get_by_id_uses_the_primary_key(book: AsyncEngine):
    from adapters.sql.pgwork import SELECT_DOCUMENT

    explain = "EXPLAIN (FORMAT JSON) " + SELECT_DOCUMENT.replace("$1", "'o-5'")
    async with book.connect() as conn:
        raw = (await conn.exec_driver_sql(explain)).scalar()
    nodes = list(_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))
    _uses(nodes, "orders_pkey")


async def test_an_exact_count_reads_an_index_only(book: AsyncEngine):
    sql = statements(_query({"state": "completed"}), None, postgres=True)
    async with book.connect() as conn:
        nodes = list(_nodes(await plan_of(conn, sql.count)))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"]
    assert any(n["Node Type"] == "Index Only Scan" for n in nodes), nodes


async def test_the_estimate_is_the_planners_and_says_so(book: AsyncEngine):
    q = _query({"state": "completed", "count": "estimate"})
    sql = statements(q, None, postgres=True)
    async with book.connect() as conn:
        estimate, mode = await count_matches(conn, sql, q.count, postgres=True)
        exact, exact_mode = await count_matches(conn, sql, CountMode.EXACT, postgres=True)
        few, few_mode = await count_matches(
            conn, statements(_query({"id": "o-8"}), None, True), CountMode.ESTIMATE, postgres=True
        )
    assert (mode, exact_mode, few_mode) == (CountMode.ESTIMATE, CountMode.EXACT, CountMode.EXACT)
    assert exact * 0.5 < estimate < exact * 1.5
    assert few == 0  # o-8 is a resource order: few matches are counted exactly


async def test_rest_says_when_the_total_is_an_estimate(book: AsyncEngine, book_url: str, tmp_path: Path):
    base = "/tmf-api/serviceOrdering/v4/serviceOrder"
    async with running_gateway(book_url, tmp_path) as rest:
        estimated = await rest.call("admin", "GET", f"{base}?state=completed&limit=1")
        counted = await rest.call("admin", "GET", f"{base}?state=completed&limit=1&count=exact")
        uncounted = await rest.call("admin", "GET", f"{base}?state=completed&limit=1&count=none")
        few = await rest.call("admin", "GET", f"{base}?id=o-1&limit=1")
    assert estimated.headers["X-Total-Count-Estimated"] == "true"  # the default, on a broad filter
    assert "X-Total-Count-Estimated" not in counted.headers
    assert int(counted.headers["X-Total-Count"]) > 1000
    assert "X-Total-Count" not in uncounted.headers
    assert few.headers["X-Total-Count"] == "1"
    assert "X-Total-Count-Estimated" not in few.headers  # few matches: counted exactly
    assert "cursor=" in counted.headers["Link"]
    assert counted.headers["X-Next-Cursor"]
