"""REST profile fixtures: the real gateway on a loopback port, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.rest.gateway import RestGateway, running_gateway


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url"))


@pytest.fixture
async def rest(database_url: str, tmp_path: Path) -> AsyncIterator[RestGateway]:
    async with running_gateway(database_url, tmp_path) as gateway:
        yield gateway


@pytest.fixture
async def small_rest(sqlite_url: str, tmp_path: Path) -> AsyncIterator[RestGateway]:
    """The gateway with a 4 KiB body limit, to test against."""
    async with running_gateway(sqlite_url, tmp_path, max_body_bytes=4096) as gateway:
        yield gateway
