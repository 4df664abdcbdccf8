"""A local identity provider for the OAuth2 tests: signing keys the test makes, a JWKS endpoint
on a loopback aiohttp server (counting its fetches, able to fail), and tokens signed with them."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

ISSUER = "https://idp.example/realms/operators"
AUDIENCE = "ordergate"


class IdentityProvider:
    def __init__(self) -> None:
        self.keys: dict[str, Any] = {"k1": RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)}
        self.fetches = 0
        self.down = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def jwks_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/operators/certs"

    async def _certs(self, _request: web.Request) -> web.Response:
        self.fetches += 1
        if self.down:
            return web.Response(status=503)
        return web.json_response({"keys": [k.as_dict(private=False) for k in self.keys.values()]})

    async def start(self) -> IdentityProvider:
        app = web.Application()
        app.router.add_get("/realms/operators/certs", self._certs)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def rotate(self, kid: str) -> None:
        """A new signing key (EC this time), published beside the old ones."""
        self.keys[kid] = ECKey.generate_key("P-256", parameters={"kid": kid}, private=True)

    def token(
        self,
        client: str = "acme",
        roles: tuple[str, ...] = ("client",),
        *,
        kid: str = "k1",
        key: Any = None,
        header: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A token as Keycloak issues one to a client (client credentials grant)."""
        now = int(time.time())
        body = {
            "iss": ISSUER,
            "aud": [AUDIENCE, "account"],
            "azp": client,
            "exp": now + 300,
            "iat": now,
            "realm_access": {"roles": [*roles, "offline_access", "default-roles-operators"]},
            **claims,
        }
        signing = key or self.keys[kid]
        alg = "ES256" if isinstance(signing, ECKey) else "RS256"
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT", **(header or {})}, body, signing)
