"""OAuth2 beside API keys: ``Authorization: Bearer <JWT>`` from a trusted identity provider.

A TMF API behind an identity provider (Keycloak, say) is called with access
tokens the provider signs.  Such a token is accepted when its signature
checks against the provider's published keys (its JWKS, ``jwks.py``), with
an asymmetric algorithm only (a token may not pick HMAC with the public key
as the secret, nor ``none``), and its ``exp``, ``iss`` and ``aud`` say it is
current, from that provider and meant for this gateway (``nbf`` and ``iat``
are checked when present).  The caller is then the client the token names
(``client_claim``: Keycloak puts the client id in ``azp``) with the roles it
grants (``roles_claim``, a dotted path: Keycloak's realm roles are
``realm_access.roles``); role names other than ``client``, ``fulfiller`` and
``admin`` are ignored, and a token granting none of them is refused
(``permissionDenied``).  Client ids of tokens and of the credentials file
are one namespace: a token naming ``acme`` acts as the client ``acme``.

Tokens are checked with joserfc: typed, an explicit registry of the claims
required, and a key set imported from the JWKS document as published; the
fetching is the gateway's own (aiohttp, on the event loop -- PyJWT's JWKS
client fetches with urllib and would block it).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)

from adapters.identity.credentials import Unauthenticated
from adapters.identity.jwks import JwksKeys, http_fetch
from core.domain.errors import PermissionDenied
from core.domain.model import Caller, Role, client_id_problem

ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
_ROLE_NAMES = frozenset(r.value for r in Role)


@dataclass(frozen=True)
class OAuthSettings:
    """The identity provider the gateway trusts (``ORDERGATE_OAUTH_*``, see docs/identity.md)."""

    jwks_url: str
    issuer: str
    audience: str
    client_claim: str = "azp"
    roles_claim: str = "realm_access.roles"
    # how long fetched keys are used before they are fetched again
    cache_seconds: float = 300.0
    # the least time between two fetches (a token naming an unknown key triggers one)
    refetch_seconds: float = 30.0
    # clock skew allowed on exp, nbf and iat
    leeway_seconds: int = 30
    algorithms: tuple[str, ...] = ASYMMETRIC
    fetch_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        if not (self.jwks_url and self.issuer and self.audience):
            raise ValueError("OAuth2 needs the JWKS URL, the issuer and the audience")
        if not self.algorithms or set(self.algorithms) - set(ASYMMETRIC):
            raise ValueError(f"OAuth2 algorithms are some of {', '.join(ASYMMETRIC)}")
        if self.refetch_seconds > self.cache_seconds:
            raise ValueError("the keys' refetch interval may not exceed their cache time")


def claim(claims: dict[str, Any], path: str) -> Any:
    """The claim at a dotted path (``realm_access.roles``), or None."""
    value: Any = claims
    for name in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


class OAuthVerifier:
    def __init__(
        self,
        settings: OAuthSettings,
        keys: JwksKeys | None = None,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.settings = settings
        self.keys = keys or JwksKeys(
            http_fetch(settings.jwks_url, settings.fetch_timeout_seconds),
            cache_seconds=settings.cache_seconds,
            refetch_seconds=settings.refetch_seconds,
        )
        self._claims = jwt.JWTClaimsRegistry(
            now=clock,
            leeway=settings.leeway_seconds,
            iss={"essential": True, "value": settings.issuer},
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
        )

    async def caller(self, token: str) -> Caller:
        """The caller a token names; Unauthenticated when it is not a valid token of the provider."""
        header = _header(token)
        algorithm = header.get("alg")
        if algorithm not in self.settings.algorithms:
            raise Unauthenticated(f"a token signed with {algorithm!r} is not accepted")
        kid = header.get("kid")
        keys = await self.keys.key_set(kid if isinstance(kid, str) else None)
        claims = self._verified(token, keys)
        return self._caller_of(claims)

    def _verified(self, token: str, keys: Any) -> dict[str, Any]:
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self.settings.algorithms))
            self._claims.validate(decoded.claims)
        except InvalidKeyIdError:
            raise Unauthenticated(
                "the token is signed with a key the identity provider does not publish"
            ) from None
        except BadSignatureError:
            raise Unauthenticated("the token's signature does not check") from None
        except ExpiredTokenError:
            raise Unauthenticated("the token has expired") from None
        except (MissingClaimError, InvalidClaimError) as e:
            raise Unauthenticated(f"the token's claims are not accepted: {e.description}") from None
        except (JoseError, ValueError, TypeError) as e:
            raise Unauthenticated(f"not a valid token: {_said(e)}") from None
        return dict(decoded.claims)

    def _caller_of(self, claims: dict[str, Any]) -> Caller:
        client_id = claim(claims, self.settings.client_claim)
        if not isinstance(client_id, str) or not client_id:
            raise Unauthenticated(f"the token names no client ({self.settings.client_claim})")
        if (problem := client_id_problem(client_id)) is not None:
            raise Unauthenticated(f"the token's client ({self.settings.client_claim}) is refused: {problem}")
        granted = claim(claims, self.settings.roles_claim)
        names = granted if isinstance(granted, list) else []
        roles = frozenset(Role(n) for n in names if isinstance(n, str) and n in _ROLE_NAMES)
        if not roles:
            raise PermissionDenied(
                f"the token grants {client_id!r} none of the roles {', '.join(r.value for r in Role)}"
                f" ({self.settings.roles_claim})"
            )
        return Caller(client_id, roles)


def _header(token: str) -> dict[str, Any]:
    try:
        return dict(jws.extract_compact(token.encode()).headers())
    except (JoseError, ValueError, TypeError) as e:
        raise Unauthenticated(f"not a valid token: {_said(e)}") from None


def _said(error: Exception) -> str:
    return error.description if isinstance(error, JoseError) and error.description else str(error)
