"""A schema that is not the code's under a running gateway (a table gone): ``remote`` in every profile,
never a 500 -- the gateway can name it."""

from __future__ import annotations

import asyncpg
import pytest
from lxml import etree

from adapters.identity import LOCAL_ADMIN
from adapters.sql import SqlaOrderStore, migrate
from core.domain.errors import Unavailable
from core.domain.query import OrderQuery
from core.usecases import OrderManagement
from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings
from tests.amqp_broker import NS, service_key
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.postgres

GET_ORDER = (
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
    f'<getOrderByKeyRequest xmlns="{NS}">{service_key("any")}</getOrderByKeyRequest></s:Body></s:Envelope>'
)


@pytest.fixture
def broken_url():
    """A migrated database whose orders table is then dropped, as a rolled-back migration might."""
    url = create_database("broken")
    migrate(url)
    yield url
    drop_database(url)


async def _drop_orders(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("DROP TABLE orders CASCADE")
    finally:
        await conn.close()


async def test_a_missing_table_is_unavailable_in_the_core(broken_url):
    await _drop_orders(broken_url)
    store = SqlaOrderStore(broken_url)
    try:
        orders = OrderManagement(store)
        with pytest.raises(Unavailable, match='relation "orders" does not exist'):
            await orders.get_order(LOCAL_ADMIN, None, "any")
        with pytest.raises(Unavailable):  # queries run on the SQLAlchemy engine
            await orders.query_orders(LOCAL_ADMIN, OrderQuery(limit=1))
    finally:
        await store.close()


async def test_a_missing_table_is_503_on_rest_and_a_server_fault_on_soap(broken_url, aiohttp_client):
    client = await aiohttp_client(build_app(GatewaySettings(database_url=broken_url)))
    await _drop_orders(broken_url)
    for path in ("/serviceOrder/any", "/serviceOrder"):
        response = await client.get(f"/tmf-api/serviceOrdering/v4{path}")
        assert response.status == 503
        assert response.headers["Retry-After"] == "5"
        assert (await response.json())["code"] == "remote"
    response = await client.post(
        "/soap/OrderManagement", data=GET_ORDER, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    fault = etree.fromstring(await response.read())
    assert fault.findtext(".//faultcode").endswith("Server")
    assert fault.find(f".//{{{NS}}}remoteException") is not None
