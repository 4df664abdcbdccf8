"""Every conformance scenario through the XML-over-AMQP profile, on SQLite and PostgreSQL.

The gateway runs on a vhost of this module's own; each actor is a broker user
named in the gateway's credentials file.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.sql import SqlaOrderStore
from tests.amqp_broker import broker_url
from tests.amqp_gateway import (
    ROLES,
    broker_users,
    running_gateway,
    throwaway_vhost,
    user_of,
    write_credentials,
)
from tests.conformance import runner
from tests.conformance.drivers.amqp import AmqpDriver
from tests.proxy import proxy_for, through

pytestmark = pytest.mark.rabbitmq

SUITE = runner.load()
CASES = {case.name: case for case in runner.cases(SUITE)}


@pytest.fixture(scope="module")
def vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="module")
def actor_urls(vhost: str) -> Iterator[dict[str, str]]:
    with broker_users(vhost, ROLES) as urls:
        yield urls


@contextlib.asynccontextmanager
async def _driver(
    store: SqlaOrderStore, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[AmqpDriver]:
    credentials = write_credentials(
        tmp_path / "credentials.json", {actor: user_of(url) for actor, url in actor_urls.items()}
    )
    async with running_gateway(
        store,
        broker_url("guest", "guest", vhost),
        credentials=credentials,
        switched_off=runner.switched_off(SUITE),
        settings={k: v for k, v in runner.gateway_settings(SUITE).items() if k != "switched_off"},
    ) as gw:
        driver = await AmqpDriver(gw, actor_urls).open()
        try:
            yield driver
        finally:
            await driver.close()
        assert not driver.invalid, driver.invalid


@pytest.fixture
async def driver(
    sql_store: SqlaOrderStore, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[AmqpDriver]:
    async with _driver(sql_store, vhost, actor_urls, tmp_path) as driver:
        yield driver


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if not case.outage])
async def test_scenario_through_amqp(driver, name):
    trace = await runner.run_case(driver, CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)


# While the database is out of reach the gateway keeps a request in the queue; a
# request with an expiration is answered (remote) once it would expire before its
# next try.  The requester here waits 1.5 s.
OUTAGE_EXPIRATION_SECONDS = 1.5


@pytest.mark.postgres
@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case.outage])
async def test_scenario_with_a_database_outage_through_amqp(sql_store, vhost, actor_urls, tmp_path, name):
    proxy = await proxy_for(sql_store.url)
    store = SqlaOrderStore(through(sql_store.url, proxy.port))
    try:
        async with _driver(store, vhost, actor_urls, tmp_path) as driver:

            @contextlib.asynccontextmanager
            async def outage() -> AsyncIterator[None]:
                driver.expiration = OUTAGE_EXPIRATION_SECONDS
                try:
                    async with proxy.outage():
                        yield
                finally:
                    driver.expiration = None

            driver.outage = outage  # type: ignore[attr-defined]
            trace = await runner.run_case(driver, CASES[name], SUITE)
        assert len(trace) == len(CASES[name].steps)
    finally:
        await store.close()
        await proxy.close()
