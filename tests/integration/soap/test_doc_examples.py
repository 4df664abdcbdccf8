"""docs/soap.md's first messages, posted to a running gateway as the document shows them.

The gateway runs on a fresh SQLite file with the document's credentials file; each documented
HTTP request is sent as written (the documented ``Host`` stands for the gateway's address) and
its response must be the documented one: status line, the headers shown, and the envelope
(``tests/doc_examples.py`` says what may differ).  The request and response elements inside the
envelopes -- the Body's, or a fault's detail -- are checked against the XSD the gateway serves.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from lxml import etree

from adapters.soap.envelope import SOAP11_ENV
from ordergate.bootstrap import build_app, build_gateway
from ordergate.settings import GatewaySettings
from tests import doc_examples as ex
from tests.amqp_gateway import served_schema

DOC = ex.DOCS / "soap.md"
EXCHANGE = frozenset({"request", "response"})
SETUP = frozenset({""})
DOCUMENTED_HOST = "127.0.0.1:8080"


@contextlib.asynccontextmanager
async def serving(database_url: str, credentials: Path) -> AsyncIterator[str]:
    """The whole gateway on a free loopback port; its address (host:port)."""
    settings = GatewaySettings(database_url=database_url, credentials_path=str(credentials))
    runner = web.AppRunner(build_app(settings, build_gateway(settings)))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        yield f"{host}:{port}"
    finally:
        await runner.cleanup()


def operation_element(envelope: etree._Element, where: str) -> etree._Element:
    """The Body's one element, or the detail's of a fault."""
    body = envelope.find(f"{{{SOAP11_ENV}}}Body")
    assert body is not None, f"{where}: no soap:Body"
    (element,) = [c for c in body if isinstance(c.tag, str)]
    if element.tag == f"{{{SOAP11_ENV}}}Fault":
        detail = element.find("detail")
        assert detail is not None, f"{where}: a fault without detail"
        (element,) = [c for c in detail if isinstance(c.tag, str)]
    return element


def test_the_document_shows_a_create_a_get_a_state_change_and_faults():
    steps = ex.read(DOC)
    ex.shapes(steps, [EXCHANGE, SETUP])
    names = {
        etree.QName(
            operation_element(ex.parse_xml(ex.http_message(s["response"].text, "").body), "")
        ).localname
        for s in steps
        if s.shape() == EXCHANGE
    }
    assert {"createOrderByValueResponse", "getOrderByKeyResponse", "abortOrderByKeyResponse"} <= names
    assert any(n.endswith("Exception") for n in names), names


async def test_the_documented_envelopes_are_answered_as_documented(sqlite_url: str, tmp_path: Path):
    steps = ex.read(DOC)
    (setup,) = [s for s in steps if s.shape() == SETUP]
    (tmp_path / "credentials.json").write_text(setup[""].text)
    async with (
        serving(sqlite_url, tmp_path / "credentials.json") as address,
        aiohttp.ClientSession() as http,
    ):
        schema = await served_schema(f"http://{address}")
        values = ex.Values({DOCUMENTED_HOST: address})
        for step in (s for s in steps if s.shape() == EXCHANGE):
            sent, answer = step["request"], step["response"]
            request = ex.http_message(values.put(sent.text), sent.where)
            method, path, version = request.start.split()
            assert (method, version) == ("POST", "HTTP/1.1"), f"{sent.where}: {request.start}"
            assert request.header("Host") == address, f"{sent.where}: Host is {DOCUMENTED_HOST}"
            documented = ex.http_message(answer.text, answer.where)
            reply = operation_element(ex.parse_xml(documented.body), answer.where)
            ex.validate(schema, reply, answer.where)
            ex.validate_request(
                schema, operation_element(ex.parse_xml(request.body), sent.where), reply, sent.where
            )
            headers = {k: v for k, v in request.headers if k.lower() != "host"}
            async with http.post(f"http://{address}{path}", data=request.body.encode(), headers=headers) as r:
                status, reason, got_headers, body = r.status, r.reason or "", dict(r.headers), await r.read()
            ex.compare_response(documented, status, reason, got_headers, values, answer.where)
            root = ex.compare_xml(documented.body, body, values, answer.where)
            ex.validate(schema, operation_element(root, answer.where), answer.where + ", as sent")
