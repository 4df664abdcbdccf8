"""Every conformance scenario through the SOAP profile: zeep from the served WSDL, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conformance import runner
from tests.conformance.drivers.soap import SoapDriver
from tests.proxy import proxy_for, through
from tests.soap_gateway import running_gateway

SUITE = runner.load()
CASES = {case.name: case for case in runner.cases(SUITE)}
# Scenarios a typed SOAP client cannot express (none at present), with the reason.
NOT_EXPRESSIBLE: dict[str, str] = {}


def _case(name: str) -> object:
    reason = NOT_EXPRESSIBLE.get(name)
    return pytest.param(name, marks=pytest.mark.xfail(reason=reason, strict=True)) if reason else name


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def driver(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SoapDriver]:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    async with running_gateway(
        url,
        tmp_path,
        **runner.gateway_settings(SUITE),
    ) as gateway:
        yield SoapDriver(gateway)


@pytest.mark.parametrize("name", [_case(n) for n, case in CASES.items() if not case.outage])
async def test_scenario_through_soap(driver, name):
    trace = await runner.run_case(driver, CASES[name], SUITE)
    assert len(trace) == len(CASES[name].steps)


@pytest.mark.postgres
@pytest.mark.parametrize("sql_store", ["postgres"], indirect=True)  # an empty database
@pytest.mark.parametrize("name", [n for n, case in CASES.items() if case.outage])
async def test_scenario_with_a_database_outage_through_soap(sql_store, tmp_path: Path, name: str):
    pg_url = sql_store.url
    proxy = await proxy_for(pg_url)
    try:
        url = through(pg_url, proxy.port)
        async with running_gateway(
            url,
            tmp_path,
            **runner.gateway_settings(SUITE),
        ) as gateway:
            driver = SoapDriver(gateway)
            driver.outage = proxy.outage  # type: ignore[attr-defined]
            trace = await runner.run_case(driver, CASES[name], SUITE)
        assert len(trace) == len(CASES[name].steps)
    finally:
        await proxy.close()
