"""The XML fuzzers' rig: one real gateway (PostgreSQL, the AMQP profile on a vhost of its own, SOAP
on its HTTP port, a credentials file), a requester on the broker, the dead-letter queue watched,
orders of every kind to aim at, and the traps an external entity would spring.

The rig runs on an event loop of its own, driven from the (synchronous)
hypothesis tests one request at a time: ``rig.run(coroutine)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aio_pika
import pytest
from aio_pika.abc import AbstractIncomingMessage
from lxml import etree

from adapters.identity import hash_key
from adapters.sql import migrate
from ordergate.bootstrap import build_gateway
from tests.amqp_broker import DLQ, Received, Requester, broker_url, reset_broker
from tests.amqp_gateway import RunningGateway, serving, throwaway_vhost
from tests.conftest import create_database, drop_database
from tests.fuzz.budget import REQUEST_SECONDS
from tests.fuzz.served import Book, quiet_settings, read_book
from tests.fuzz.xml_messages import NS, Traps

T = TypeVar("T")
KEYS = {"fuzzer": "fuzzer-soap-key", "alice": "alice-soap-key", "noc": "noc-soap-key"}
ROLES = {"fuzzer": ["admin", "client", "fulfiller"], "alice": ["client"], "noc": ["fulfiller"]}
KINDS = ("productOrder", "serviceOrder", "resourceOrder", "workOrder")


def _value(kind: str) -> str:
    items = "".join(
        f"<item><id>{i}</id><action>add</action><entity><specification><id>spec-{i}</id></specification>"
        f"</entity></item>"
        for i in ("1", "2")
    )
    return f"<{kind}Value><externalId>seed</externalId><items>{items}</items></{kind}Value>"


class TrapListener:
    """A loopback port an external entity may name: it counts every connection made to it."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="xxe-trap", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}/dtd"

    def _accept(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError, OSError):
                conn, _ = self._sock.accept()
                self.connections += 1
                conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


class XmlRig:
    def __init__(self, loop: asyncio.AbstractEventLoop, gateway: RunningGateway, traps: Traps) -> None:
        self.loop = loop
        self.gateway = gateway
        self.traps = traps
        self.keys: list[tuple[str, str]] = []
        self.dead: dict[str, AbstractIncomingMessage] = {}
        self.requester: Requester | None = None
        self.trap: TrapListener | None = None

    @property
    def soap_url(self) -> str:
        return f"{self.gateway.http_url}/soap/OrderManagement"

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    async def book(self) -> Book:
        return await read_book(self.gateway.store)

    async def open(self) -> None:
        self.requester = await Requester(self.gateway.amqp_url, self.gateway.schema).open()
        self._dlq_connection = await aio_pika.connect(self.gateway.amqp_url)
        channel = await self._dlq_connection.channel()
        queue = await channel.get_queue(DLQ, ensure=False)  # declared by the gateway, with its bounds

        async def dead_lettered(message: AbstractIncomingMessage) -> None:
            self.dead[message.message_id or ""] = message

        await queue.consume(dead_lettered, no_ack=True)
        for kind in KINDS:
            for started in (False, True):
                reply = await self.call(
                    f"<createOrderByValueRequest xmlns='{NS}'>{_value(kind)}</createOrderByValueRequest>"
                )
                order_id = reply[0].text("om:*/om:key/om:primaryKey")
                assert reply[0].name == "createOrderByValueResponse", reply[0].body
                assert order_id, reply[0].body
                self.keys.append((kind, order_id))
                if started:
                    key = f"<key><type>{kind}</type><primaryKey>{order_id}</primaryKey></key>"
                    await self.call(f"<startOrderByKeyRequest xmlns='{NS}'>{key}</startOrderByKeyRequest>")

    def note_orders(self, replies: Iterable[etree._Element]) -> None:
        """Orders a response carries become targets too (the newest few hundred), so the
        fuzzers go on reaching orders in every state after the seeded ones have moved on."""
        for reply in replies:
            for key in reply.iterfind(f"{{{NS}}}*/{{{NS}}}key"):
                found = (key.findtext(f"{{{NS}}}type") or "", key.findtext(f"{{{NS}}}primaryKey") or "")
                if all(found) and found not in self.keys:
                    self.keys.append(found)
        del self.keys[: max(0, len(self.keys) - 300)]

    async def call(self, body: str) -> list[Received]:
        assert self.requester is not None
        key = await self.requester.send(body.encode(), user_id="guest")
        return await self.requester.wait(key, seconds=REQUEST_SECONDS)

    async def close(self) -> None:
        if self.requester is not None:
            await self.requester.close()
        await self._dlq_connection.close()


def _credentials(path: Path) -> str:
    """The fuzzing client (every role; SOAP key and the broker's guest user), a client, a fulfiller."""
    clients = [
        {"clientId": who, "roles": ROLES[who], "keySha256": hash_key(KEYS[who])}
        | ({"amqpUser": "guest"} if who == "fuzzer" else {})
        for who in KEYS
    ]
    path.write_text(json.dumps({"clients": clients}))
    return str(path)


@contextlib.asynccontextmanager
async def _serving(database_url: str, amqp_url: str, credentials: str) -> AsyncIterator[RunningGateway]:
    """The whole gateway (every profile) on a free loopback port, from empty request queues."""
    await reset_broker(amqp_url)
    settings = quiet_settings(database_url, amqp_url=amqp_url, credentials_path=credentials)
    async with serving(settings, build_gateway(settings), amqp_url) as running:
        yield running


@pytest.fixture(scope="package")
def xml_rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[XmlRig]:
    if shutil.which("rabbitmqctl") is None:
        pytest.skip("rabbitmqctl is needed to give the fuzzers a vhost of their own")
    workdir = tmp_path_factory.mktemp("fuzz-xml")
    secret = f"fuzz-secret-{uuid.uuid4().hex}"
    (workdir / "secret.txt").write_text(secret)
    trap = TrapListener()
    traps = Traps(str(workdir / "secret.txt"), secret, trap.url)
    url = create_database("fuzzxml")
    loop = asyncio.new_event_loop()
    try:
        migrate(url)
        with throwaway_vhost() as vhost:
            serving = _serving(url, broker_url("guest", "guest", vhost), _credentials(workdir / "creds.json"))
            rig = XmlRig(loop, loop.run_until_complete(serving.__aenter__()), traps)
            rig.trap = trap
            try:
                loop.run_until_complete(rig.open())
                yield rig
            finally:
                loop.run_until_complete(rig.close())
                loop.run_until_complete(serving.__aexit__(None, None, None))
    finally:
        loop.close()
        trap.close()
        drop_database(url)
