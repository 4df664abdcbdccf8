"""The gateway with its SOAP profile on a free loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.soap_gateway import SoapGateway, running_gateway


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def soap(database_url: str, tmp_path: Path) -> AsyncIterator[SoapGateway]:
    async with running_gateway(database_url, tmp_path) as gateway:
        yield gateway


@pytest.fixture
async def embedded_soap(sqlite_url: str, tmp_path: Path) -> AsyncIterator[SoapGateway]:
    """The gateway on its embedded SQLite store, with a small body limit to test against."""
    async with running_gateway(sqlite_url, tmp_path, max_body_bytes=64 * 1024) as gateway:
        yield gateway
