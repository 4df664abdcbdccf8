"""The baseline of ``ordergate bench soap``: a plain spyne service that echoes the order.

Written the usual spyne way -- models declared as ``ComplexModel`` classes,
``Soap11(validator="lxml")`` in and out, a ``WsgiApplication`` -- for the
part of the order the benchmark sends, under the vocabulary's element names,
so it takes byte for byte the envelope the gateway takes.  It touches no
database: it parses, validates, deserialises, and serialises the order back.

Served by the standard library's WSGI server (``wsgiref``), one thread per
connection, with a listen backlog of 128 instead of wsgiref's default 5, so
32 concurrent callers are not turned away at the door.

Run as ``python -m bench.soap_echo``: like ``bench.serve`` it listens on a
free loopback port, prints ``PORT <n>`` on its first line of output, and
serves until its standard input closes or it gets SIGTERM/SIGINT.
"""

from __future__ import annotations

import sys
import threading
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from spyne import Application, ComplexModel, DateTime, Integer, ServiceBase, Unicode, rpc
from spyne.protocol.soap import Soap11
from spyne.server.wsgi import WsgiApplication

from adapters.xml import NS


class _Model(ComplexModel):  # type: ignore[misc]
    __namespace__ = NS


class SpecificationRef(_Model):
    id = Unicode
    name = Unicode


class Characteristic(_Model):
    name = Unicode
    value = Unicode


class EntityRef(_Model):
    id = Unicode
    specification = SpecificationRef
    characteristic = Characteristic.customize(max_occurs="unbounded")


class ItemRelationship(_Model):
    type = Unicode
    itemId = Unicode


class OrderItem(_Model):
    id = Unicode
    action = Unicode
    entity = EntityRef
    relationship = ItemRelationship.customize(max_occurs="unbounded")


class ItemList(_Model):
    item = OrderItem.customize(max_occurs="unbounded")


class ServiceOrderValue(_Model):
    externalId = Unicode
    priority = Integer
    requestedStartDate = DateTime
    items = ItemList


class createOrderByValueRequest(_Model):  # the vocabulary's element names
    serviceOrderValue = ServiceOrderValue


class createOrderByValueResponse(_Model):
    serviceOrderValue = ServiceOrderValue


class EchoService(ServiceBase):  # type: ignore[misc]
    @rpc(
        createOrderByValueRequest,
        _returns=createOrderByValueResponse,
        _body_style="bare",
        _operation_name="createOrderByValue",
        _in_message_name="createOrderByValueRequest",
        _out_message_name="createOrderByValueResponse",
    )
    def createOrderByValue(ctx: Any, request: Any) -> Any:
        return createOrderByValueResponse(serviceOrderValue=request.serviceOrderValue)


def echo_application() -> WsgiApplication:
    app = Application(
        [EchoService],
        tns=NS,
        name="OrderEcho",
        in_protocol=Soap11(validator="lxml"),
        out_protocol=Soap11(),
    )
    return WsgiApplication(app)


class ThreadingEchoServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    server = make_server("127.0.0.1", 0, echo_application(), ThreadingEchoServer, _QuietHandler)
    serving = threading.Thread(target=server.serve_forever, name="echo-server", daemon=True)
    serving.start()
    print(f"PORT {server.server_port}", flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes it, or dies
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
