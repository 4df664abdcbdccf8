"""One hub delivery over HTTP: signed, pinned to a checked address, never redirected.

What a failed delivery leaves in ``lastError`` is coarse on purpose: a
client chooses the callback, so the gateway's answer about it must not tell
a closed port from an open one, or a filtered one from a listener that said
no.  Every failure to get a 2xx answer (no connection, reset, TLS failure,
no answer in time, a redirect, any other status) reads the same; only what
the gateway itself decided (the address rules) or what the client's own DNS
says (the host does not resolve) is told apart.  The operator's log has the
details.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.rest.callbacks import CallbackPolicy, CallbackRefused, PinnedResolver

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Ordergate-Signature"
NOT_ACCEPTED = (
    "delivery failed: the listener did not accept the event "
    "(no connection, no answer in time, or an answer other than 2xx)"
)


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body under the subscription's secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(envelope: Mapping[str, Any]) -> bytes:
    """The exact bytes that are sent, and signed."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode()


class HubPoster:
    """POSTs event bodies to callbacks through one session whose resolver enforces the policy."""

    def __init__(self, policy: CallbackPolicy, timeout_seconds: float, max_connections: int) -> None:
        self.policy = policy
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HubPoster:
        connector = aiohttp.TCPConnector(
            resolver=PinnedResolver(self.policy), use_dns_cache=False, limit=self._max_connections
        )
        # trust_env=False: no proxy from the environment, no .netrc credentials
        self._session = aiohttp.ClientSession(connector=connector, trust_env=False)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _check_literal(self, url: str) -> None:
        """aiohttp connects to an IP literal without asking a resolver: check it here."""
        host = self.policy.check_url(url).hostname
        if host is not None and (host.replace(".", "").isdigit() or ":" in host):
            await self.policy.addresses(host, 0)

    async def post(self, url: str, body: bytes, secret: str | None = None) -> str | None:
        """None when the listener accepted the event (2xx), else the error its owner sees."""
        assert self._session is not None, "use HubPoster as an async context manager"
        headers = {"Content-Type": "application/json"}
        if secret:
            headers[SIGNATURE_HEADER] = signature(secret, body)
        try:
            await self._check_literal(url)
            async with self._session.post(
                url, data=body, headers=headers, timeout=self._timeout, allow_redirects=False
            ) as reply:
                if 200 <= reply.status < 300:
                    return None
                detail = f"answered {reply.status}"
        except CallbackRefused as refused:
            return f"callback refused: {refused.message}"
        except aiohttp.ClientConnectorError as e:
            if isinstance(e.os_error, CallbackRefused):
                return f"callback refused: {e.os_error.message}"
            detail = f"{type(e).__name__}: {e}"
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            detail = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        log.info("hub: delivery to %s failed: %s", urlsplit(url).netloc, detail)
        return NOT_ACCEPTED
