"""Broker connections that come back by themselves after the broker restarts."""

from __future__ import annotations

from aio_pika import RobustConnection
from aio_pika.abc import AbstractRobustConnection
from aio_pika.connection import make_url

from adapters.amqp.config import AmqpSettings


def robust_connection(settings: AmqpSettings, purpose: str) -> AbstractRobustConnection:
    """A robust connection, not yet connected: ``await connection.connect()`` waits, retrying,
    until the broker is reachable however long that takes (the gateway may start before its
    broker), and ``close()`` stops it at any point, even while it is still trying."""
    return RobustConnection(
        make_url(settings.url),
        client_properties={"connection_name": f"ordergate {purpose}"},
        reconnect_interval=settings.reconnect_seconds,
        fail_fast=False,
    )


def is_connected(connection: AbstractRobustConnection | None) -> bool:
    return connection is not None and not connection.is_closed and connection.connected.is_set()
