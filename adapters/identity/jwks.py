"""The identity provider's signing keys (its JWKS document), fetched and cached.

Every bearer token names the key it was signed with (``kid``).  The keys are
fetched once and kept for ``cache_seconds``; a token naming a key the cache
does not hold (the provider rotated its keys) makes the cache fetch again --
but at most once per ``refetch_seconds``, whatever the number of requests: a
client sending tokens with made-up key ids must not turn the gateway into a
flood of requests to the provider.  Fetches are single-flight: requests that
find the cache stale wait for the one fetch under way.  When the provider
cannot be reached, the keys already held keep being used; with none held,
the caller is told the gateway cannot check tokens now (``Unavailable``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from core.domain.errors import Unavailable

log = logging.getLogger(__name__)

Fetch = Callable[[], Awaitable[Any]]
_MAX_DOCUMENT_BYTES = 256 * 1024


def http_fetch(url: str, timeout_seconds: float) -> Fetch:
    """GET the JWKS document at ``url`` (bounded in time and size), parsed as JSON."""

    async def fetch() -> Any:
        timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as response:
            response.raise_for_status()
            data = await response.content.read(_MAX_DOCUMENT_BYTES + 1)
        if len(data) > _MAX_DOCUMENT_BYTES:
            raise ValueError(f"the JWKS document is larger than {_MAX_DOCUMENT_BYTES} bytes")
        return json.loads(data)

    return fetch


def signing_keys(document: Any) -> KeySet:
    """The signature keys of a JWKS document: encryption keys and keys of unknown types left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    keys = []
    for raw in document["keys"]:
        if not isinstance(raw, dict) or raw.get("use", "sig") != "sig":
            continue
        try:
            keys.append(KeySet.import_key_set({"keys": [raw]}).keys[0])
        except (JoseError, ValueError, TypeError, KeyError) as e:
            log.warning("JWKS key %r left out: %s", raw.get("kid"), e)
    return KeySet(keys)


class JwksKeys:
    def __init__(
        self,
        fetch: Fetch,
        *,
        cache_seconds: float,
        refetch_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._cache_seconds = cache_seconds
        self._refetch_seconds = refetch_seconds
        self._clock = clock
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._expires = 0.0
        self._tried = float("-inf")  # when a fetch last started, successful or not
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def key_set(self, kid: str | None) -> KeySet:
        """The keys to check a token signed with ``kid`` against (the key may still be absent:
        then the token is refused)."""
        if self._needs_fetch(kid) or self._lock.locked():  # a fetch under way is waited for
            async with self._lock:
                if self._needs_fetch(kid):  # not fetched meanwhile by the request ahead
                    await self._refresh()
        return self._held()

    def _needs_fetch(self, kid: str | None) -> bool:
        now = self._clock()
        if now - self._tried < self._refetch_seconds:
            return False  # fetched (or tried) just now: what is held is the answer
        stale = self._keys is None or now >= self._expires
        return stale or (kid is not None and kid not in self._kids)

    def _held(self) -> KeySet:
        if self._keys is None:
            raise Unavailable("the identity provider's keys cannot be fetched now: retry later")
        return self._keys

    async def _refresh(self) -> None:
        self._tried = self._clock()
        self.fetches += 1
        try:
            keys = signing_keys(await self._fetch())
        except Exception as e:  # unreachable, refused, not JSON, not a JWKS document
            log.warning("the identity provider's keys could not be fetched: %s", e)
            return
        self._keys = keys
        self._kids = frozenset(k.kid for k in keys if k.kid)
        self._expires = self._clock() + self._cache_seconds
