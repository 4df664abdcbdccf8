"""Every conformance scenario through the XML-over-AMQP profile, on SQLite and PostgreSQL.

The gateway runs on a vhost of this module's own; each actor is a broker user
named in the gateway's credentials file.
"""

from __future__ import annotations

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


@pytest.fixture
async def driver(
    sql_store: SqlaOrderStore, vhost: str, actor_urls: dict[str, str], tmp_path: Path
) -> AsyncIterator[AmqpDriver]:
    credentials = write_credentials(
        tmp_path / "credentials.json", {actor: user_of(url) for actor, url in actor_urls.items()}
    )
    async with running_gateway(sql_store, broker_url("guest", "guest", vhost), credentials=credentials) as gw:
        driver = await AmqpDriver(gw, actor_urls).open()
        try:
            yield driver
        finally:
            await driver.close()
        assert not driver.invalid, driver.invalid


@pytest.mark.parametrize("name", list(CASES))
async def test_scenario_through_amqp(driver, name):
    trace = await runner.run_case(driver, CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)
