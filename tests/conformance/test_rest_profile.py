"""Every conformance scenario through the REST profile over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conformance import runner
from tests.conformance.drivers.rest import RestDriver
from tests.integration.rest.gateway import EventListener, running_gateway
from tests.proxy import proxy_for, through

SUITE = runner.load()
CASES = {case.name: case for case in runner.cases(SUITE, RestDriver)}  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def driver(database_url: str, tmp_path: Path) -> AsyncIterator[RestDriver]:
    listener = await EventListener().start()
    try:
        async with running_gateway(
            database_url,
            tmp_path,
            **runner.gateway_settings(SUITE),
        ) as gateway:
            rest = RestDriver(gateway, listener)
            await rest.subscribe()
            try:
                yield rest
            finally:
                await rest.unsubscribe()
    finally:
        await listener.stop()


@pytest.mark.parametrize("name", [n for n, case in CASES.items() if not case.outage])
async def test_scenario_through_rest(driver: RestDriver, name: str):
    trace = await runner.run_case(driver, CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)


@pytest.mark.postgres
@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)  # an empty database
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case.outage])
async def test_scenario_with_a_database_outage_through_rest(sql_store, tmp_path: Path, name: str):
    pg_url = sql_store.url
    proxy = await proxy_for(pg_url)
    listener = await EventListener().start()
    try:
        url = through(pg_url, proxy.port)
        async with running_gateway(
            url,
            tmp_path,
            **runner.gateway_settings(SUITE),
        ) as gateway:
            rest = RestDriver(gateway, listener)
            rest.outage = proxy.outage  # type: ignore[attr-defined]
            await rest.subscribe()
            try:
                trace = await runner.run_case(rest, CASES[name], SUITE)
            finally:
                await rest.unsubscribe()
        assert len(trace) == len(CASES[name].steps)
    finally:
        await listener.stop()
        await proxy.close()
