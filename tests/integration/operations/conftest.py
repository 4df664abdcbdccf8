"""A database and a vhost of the run's own for the operations tests (metrics, deployment, processes)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from adapters.sql import migrate
from tests.amqp_broker import broker_url
from tests.amqp_gateway import throwaway_vhost
from tests.conftest import create_database, drop_database


@pytest.fixture(scope="module")
def ops_vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="module")
def ops_amqp_url(ops_vhost: str) -> str:
    return broker_url("guest", "guest", ops_vhost)


@pytest.fixture(scope="module")
def ops_database() -> Iterator[str]:
    """An empty database at the code's schema, for this module alone (its order counts are exact)."""
    url = create_database("ops")
    migrate(url)
    yield url
    drop_database(url)
