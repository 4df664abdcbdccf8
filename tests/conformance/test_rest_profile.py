"""Every conformance scenario through the REST profile over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conformance import runner
from tests.conformance.drivers.rest import RestDriver
from tests.integration.rest.gateway import EventListener, running_gateway

SUITE = runner.load()
CASES = {case.name: case for case in runner.cases(SUITE, RestDriver)}  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def driver(database_url: str, tmp_path: Path) -> AsyncIterator[RestDriver]:
    listener = await EventListener().start()
    try:
        async with running_gateway(database_url, tmp_path) as gateway:
            rest = RestDriver(gateway, listener)
            await rest.subscribe()
            try:
                yield rest
            finally:
                await rest.unsubscribe()
    finally:
        await listener.stop()


@pytest.mark.parametrize("name", list(CASES))
async def test_scenario_through_rest(driver: RestDriver, name: str):
    trace = await runner.run_case(driver, CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)
