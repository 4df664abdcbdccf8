"""A vhost of the run's own for the start-up tests that use the broker."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.amqp_broker import broker_url
from tests.amqp_gateway import throwaway_vhost


@pytest.fixture(scope="session")
def startup_vhost() -> Iterator[str]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the tests a vhost of their own")
    with throwaway_vhost() as name:
        yield name


@pytest.fixture(scope="session")
def amqp_url(startup_vhost: str) -> str:
    return broker_url("guest", "guest", startup_vhost)
