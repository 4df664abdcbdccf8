"""OAuth2 beside API keys, through the real gateway: REST and SOAP callers identified by the JWTs of
a local identity provider (its JWKS on a loopback server, keys the test makes)."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from adapters.identity import Credentials, OAuthSettings, OAuthVerifier, hash_key
from ordergate.bootstrap import build_app, build_gateway
from ordergate.settings import GatewaySettings
from tests.integration.rest.gateway import free_socket
from tests.integration.rest.tmf import SERVICE, order_body
from tests.unit.adapters.identity.provider import AUDIENCE, ISSUER, IdentityProvider

ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
SOAP = "/soap/OrderManagement"
ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
    '<getEventTypesRequest xmlns="urn:ordergate:xml:om:v1"/></soapenv:Body></soapenv:Envelope>'
)


@dataclass
class Gateway:
    url: str
    http: aiohttp.ClientSession
    idp: IdentityProvider
    api_key: str
    suffix: str  # client ids unique to this gateway: tests share the database

    def client(self, name: str) -> str:
        return f"{name}-{self.suffix}"

    def bearer(self, value: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {value}"}

    def token(self, name: str, roles: tuple[str, ...] = ("client",), **claims: object) -> dict[str, str]:
        return self.bearer(self.idp.token(self.client(name), roles, **claims))


@pytest.fixture
async def gateway(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Gateway]:
    """The gateway with a credentials file holding one API-key client, and OAuth2 configured."""
    idp = await IdentityProvider().start()
    suffix, api_key = uuid.uuid4().hex[:8], secrets.token_urlsafe(16)
    path = tmp_path / "credentials.json"
    entry = {"clientId": f"legacy-{suffix}", "roles": ["client"], "keySha256": hash_key(api_key)}
    path.write_text(json.dumps({"clients": [entry]}))
    sock = free_socket()
    settings = GatewaySettings(
        database_url=sqlite_url, port=sock.getsockname()[1], credentials_path=str(path)
    )
    built = build_gateway(settings)
    built.credentials = Credentials.load(
        path, oauth=OAuthVerifier(OAuthSettings(idp.jwks_url, ISSUER, AUDIENCE))
    )
    runner = web.AppRunner(build_app(settings, built))
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        async with aiohttp.ClientSession() as http:
            yield Gateway(f"http://127.0.0.1:{sock.getsockname()[1]}", http, idp, api_key, suffix)
    finally:
        await runner.cleanup()
        sock.close()
        await idp.stop()


async def test_rest_callers_are_the_clients_their_tokens_name(gateway):
    async with gateway.http.post(
        gateway.url + ORDERS, json=order_body(SERVICE), headers=gateway.token("acme")
    ) as created:
        assert created.status == 201
        order = await created.json()
    path = f"{ORDERS}/{order['id']}"
    async with gateway.http.get(gateway.url + path, headers=gateway.token("acme")) as mine:
        assert mine.status == 200
    async with gateway.http.get(gateway.url + path, headers=gateway.token("zeta")) as theirs:
        assert theirs.status == 404, "another client's token does not see the order"
    async with gateway.http.get(gateway.url + path, headers=gateway.token("noc", ("fulfiller",))) as noc:
        assert noc.status == 200
    async with gateway.http.get(gateway.url + ORDERS, headers=gateway.bearer(gateway.api_key)) as legacy:
        assert legacy.status == 200, "API keys keep working beside tokens"
        assert await legacy.json() == []
    assert gateway.idp.fetches == 1


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"exp": 1}, 401, "unauthenticated"),
        ({"aud": "someone-else"}, 401, "unauthenticated"),
        ({"iss": "https://idp.example/realms/other"}, 401, "unauthenticated"),
        ({"realm_access": {"roles": ["offline_access"]}}, 403, "permissionDenied"),
    ],
)
async def test_rest_refuses_tokens_that_are_not_for_it(gateway, claims, status, code):
    async with gateway.http.get(gateway.url + ORDERS, headers=gateway.token("acme", **claims)) as refused:
        assert refused.status == status
        assert (await refused.json())["code"] == code
        if status == 401:
            assert refused.headers["WWW-Authenticate"].startswith("Bearer")


async def soap(gateway: Gateway, headers: dict[str, str]) -> tuple[int, str]:
    headers = {**headers, "Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"getEventTypes"'}
    async with gateway.http.post(gateway.url + SOAP, data=ENVELOPE, headers=headers) as response:
        return response.status, await response.text()


async def test_soap_callers_are_identified_by_tokens_too(gateway):
    status, body = await soap(gateway, gateway.token("acme"))
    assert status == 200
    assert "getEventTypesResponse" in body
    status, body = await soap(gateway, gateway.token("acme", exp=1))
    assert status == 500
    assert "unauthenticated" in body
    assert "the token has expired" in body
    status, body = await soap(gateway, gateway.bearer(gateway.api_key))
    assert status == 200
