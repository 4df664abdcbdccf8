"""OAuth2 bearer tokens checked against a local identity provider's JWKS, with keys the test makes."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc.jwk import RSAKey

from adapters.identity import Credentials, OAuthSettings, OAuthVerifier, Unauthenticated, identify_http
from adapters.identity.credentials import _Entry
from adapters.identity.jwks import JwksKeys, http_fetch
from core.domain.errors import PermissionDenied, Unavailable
from core.domain.model import Caller, Role
from tests.unit.adapters.identity.provider import AUDIENCE, ISSUER, IdentityProvider


@pytest.fixture
async def idp():
    provider = await IdentityProvider().start()
    yield provider
    await provider.stop()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def verifier(idp: IdentityProvider, clock: Clock | None = None, **options) -> OAuthVerifier:
    settings = OAuthSettings(idp.jwks_url, ISSUER, AUDIENCE, **options)
    keys = JwksKeys(
        http_fetch(settings.jwks_url, 5.0),
        cache_seconds=settings.cache_seconds,
        refetch_seconds=settings.refetch_seconds,
        clock=clock or time.monotonic,
    )
    return OAuthVerifier(settings, keys)


def segment(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def forged(header: dict, claims: dict, secret: bytes = b"") -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest() if secret else b""
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


async def test_a_token_of_the_provider_names_the_client_and_its_roles(idp):
    caller = await verifier(idp).caller(idp.token("acme", ("client", "fulfiller")))
    assert caller == Caller("acme", frozenset({Role.CLIENT, Role.FULFILLER}))


def claims_now(**changes) -> dict:
    now = int(time.time())
    return {"iss": ISSUER, "aud": AUDIENCE, "azp": "acme", "exp": now + 300, **changes}


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "the token has expired"),
        ({"iss": "https://elsewhere.example/"}, "Invalid claim: 'iss'"),
        ({"aud": ["account"]}, "Invalid claim: 'aud'"),
        ({"exp": None}, "Missing claim: 'exp'"),
        ({"nbf": int(time.time()) + 3600}, "not yet valid"),
        ({"azp": None}, "names no client"),
        ({"azp": "acme~orders"}, r"client \(azp\) is refused: a client id holds no '~'"),
        ({"azp": "x" * 129}, "at most 128 characters"),
    ],
)
async def test_a_token_that_is_not_current_from_the_issuer_or_for_this_audience_is_refused(
    idp, changes, reason
):
    token = idp.token(**changes)
    with pytest.raises(Unauthenticated, match=reason):
        await verifier(idp).caller(token)


async def test_a_token_signed_by_another_key_under_a_published_kid_is_refused(idp):
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    with pytest.raises(Unauthenticated, match="signature does not check"):
        await verifier(idp).caller(idp.token(key=other))


async def test_algorithm_confusion_and_unsigned_tokens_are_refused(idp):
    public_pem = idp.keys["k1"].as_pem(private=False)
    hs256 = forged({"alg": "HS256", "kid": "k1"}, claims_now(), public_pem)
    unsigned = forged({"alg": "none", "kid": "k1"}, claims_now())
    for token, alg in ((hs256, "HS256"), (unsigned, "none")):
        with pytest.raises(Unauthenticated, match=f"signed with '{alg}' is not accepted"):
            await verifier(idp).caller(token)
    for garbage in ("a.b.c", "e30.e30.", "x" * 40):
        with pytest.raises(Unauthenticated, match="not a valid token"):
            await verifier(idp).caller(garbage)
    assert idp.fetches == 0, "a malformed token costs no fetch"


async def test_a_token_granting_none_of_the_gateways_roles_is_refused(idp):
    with pytest.raises(PermissionDenied, match="none of the roles"):
        await verifier(idp).caller(idp.token("acme", ("uma_authorization",)))


async def test_the_client_and_roles_claims_are_configurable(idp):
    token = idp.token(
        "ignored", (), client_id="zeta", resource_access={"ordergate": {"roles": ["admin", 7, {"x": 1}]}}
    )
    check = verifier(idp, client_claim="client_id", roles_claim="resource_access.ordergate.roles")
    assert await check.caller(token) == Caller("zeta", frozenset({Role.ADMIN}))


async def test_the_keys_are_fetched_once_and_cached(idp):
    check = verifier(idp)
    callers = await asyncio.gather(*(check.caller(idp.token(f"c{i}")) for i in range(20)))
    assert {c.client_id for c in callers} == {f"c{i}" for i in range(20)}
    assert idp.fetches == 1


async def test_an_unknown_key_id_triggers_one_refetch_at_most_per_interval(idp):
    clock = Clock()
    check = verifier(idp, clock)
    await check.caller(idp.token())
    idp.rotate("k2")  # the provider rotates: tokens signed with k2 appear
    clock.now += 31
    assert (await check.caller(idp.token(kid="k2"))).client_id == "acme"
    assert idp.fetches == 2
    # made-up key ids, many at once: no fetch within the interval, however many requests
    stranger = RSAKey.generate_key(2048, parameters={"kid": "nope"}, private=True)
    attempts = [check.caller(idp.token(key=stranger, kid="nope")) for _ in range(50)]
    for outcome in await asyncio.gather(*attempts, return_exceptions=True):
        assert isinstance(outcome, Unauthenticated)
        assert "a key the identity provider does not publish" in str(outcome)
    assert idp.fetches == 2
    clock.now += 31  # after the interval, once more -- one fetch for all of them
    await asyncio.gather(
        *(check.caller(idp.token(key=stranger, kid="nope")) for _ in range(50)), return_exceptions=True
    )
    assert idp.fetches == 3


async def test_the_keys_are_fetched_again_when_the_cache_expires(idp):
    clock = Clock()
    check = verifier(idp, clock, cache_seconds=60.0)
    await check.caller(idp.token())
    clock.now += 59
    await check.caller(idp.token())
    assert idp.fetches == 1
    clock.now += 2
    await check.caller(idp.token())
    assert idp.fetches == 2


async def test_a_provider_out_of_reach_is_unavailable_until_it_answers_then_its_keys_are_kept(idp):
    clock = Clock()
    check = verifier(idp, clock)
    idp.down = True
    for _ in range(5):
        with pytest.raises(Unavailable, match="cannot be fetched now"):
            await check.caller(idp.token())
    assert idp.fetches == 1, "a failed fetch is not retried on every request"
    idp.down = False
    clock.now += 31
    assert (await check.caller(idp.token())).client_id == "acme"
    idp.down = True
    clock.now += 1000  # the cache expired and the provider is down: the keys held still check
    assert (await check.caller(idp.token())).client_id == "acme"


async def test_api_keys_keep_working_beside_tokens(idp):
    entry = _Entry(Caller("legacy", frozenset({Role.CLIENT})), hashlib.sha256(b"key-1").hexdigest(), None)
    credentials = Credentials([entry], oauth=verifier(idp))
    assert (await identify_http(credentials, "Bearer key-1", "10.0.0.1")).client_id == "legacy"
    assert (await identify_http(credentials, f"Bearer {idp.token('acme')}", "10.0.0.1")).client_id == "acme"
    with pytest.raises(Unauthenticated, match="unknown API key"):
        await identify_http(credentials, "Bearer key-2", "10.0.0.1")
    with pytest.raises(Unauthenticated, match="header is required"):
        await identify_http(credentials, None, "127.0.0.1")
    assert idp.fetches == 1


def test_settings_refuse_what_would_weaken_the_check():
    with pytest.raises(ValueError, match="algorithms"):
        OAuthSettings("https://idp/certs", ISSUER, AUDIENCE, algorithms=("HS256",))
    with pytest.raises(ValueError, match="JWKS URL, the issuer and the audience"):
        OAuthSettings("https://idp/certs", ISSUER, "")
