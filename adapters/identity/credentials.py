"""Loading the credentials file and resolving callers from it."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.domain.errors import IllegalArgument
from core.domain.model import Caller, Role, client_id_problem

if TYPE_CHECKING:
    from adapters.identity.oauth import OAuthVerifier

LOCAL_ADMIN = Caller("local", frozenset({Role.ADMIN, Role.CLIENT, Role.FULFILLER}))

# names only the broker gives (server-named queues, direct reply-to): no client owns them by prefix
_BROKER_NAMES = "amq."


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    caller: Caller
    key_sha256: str | None
    amqp_user: str | None
    reply_queue_prefix: str | None = None


def _entry(raw: dict[str, Any]) -> _Entry:
    if (problem := client_id_problem(raw.get("clientId"))) is not None:
        raise IllegalArgument(f"clientId {raw.get('clientId')!r}: {problem}")
    roles = frozenset(Role(r) for r in raw.get("roles", ["client"]))
    prefix = raw.get("replyQueuePrefix")
    if prefix is not None and (not isinstance(prefix, str) or not prefix or prefix.startswith(_BROKER_NAMES)):
        raise IllegalArgument(
            f"client {raw.get('clientId')!r}: replyQueuePrefix must be a non-empty name not starting with 'amq.'"
        )
    return _Entry(Caller(str(raw["clientId"]), roles), raw.get("keySha256"), raw.get("amqpUser"), prefix)


def _check_prefixes(entries: list[_Entry]) -> None:
    """No client's reply-queue prefix may take in another's queues ("acme" would own "acme-x.…")."""
    owned = [(e.reply_queue_prefix, e.caller.client_id) for e in entries if e.reply_queue_prefix]
    for prefix, owner in owned:
        for other, other_owner in owned:
            if other_owner != owner and other.startswith(prefix):
                raise IllegalArgument(
                    f"replyQueuePrefix {prefix!r} of {owner!r} takes in {other!r} of {other_owner!r}"
                )


class Credentials:
    """Who may call, with which roles.  ``None`` file = open to loopback only, as local admin.

    ``oauth``, when given, also accepts ``Authorization: Bearer <JWT>`` from the
    identity provider it trusts (see ``adapters.identity.oauth``)."""

    def __init__(self, entries: list[_Entry], oauth: OAuthVerifier | None = None) -> None:
        _check_prefixes(entries)
        self._entries = entries
        self._by_user = {e.amqp_user: e for e in entries if e.amqp_user}
        self.oauth = oauth

    @classmethod
    def load(cls, path: str | Path, oauth: OAuthVerifier | None = None) -> Credentials:
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as e:
            raise IllegalArgument(f"credentials file {path}: {e}") from e
        return cls([_entry(c) for c in raw.get("clients", [])], oauth)

    def caller_for_key(self, key: str) -> Caller | None:
        digest = hash_key(key)
        for e in self._entries:
            if e.key_sha256 and hmac.compare_digest(e.key_sha256, digest):
                return e.caller
        return None

    def caller_for_amqp_user(self, user: str) -> Caller | None:
        entry = self._by_user.get(user)
        return None if entry is None else entry.caller

    def reply_queue_prefix(self, user: str | None) -> str | None:
        """The prefix of the queues the broker user owns for its replies (``replyQueuePrefix``)."""
        entry = self._by_user.get(user) if user else None
        return None if entry is None else entry.reply_queue_prefix


class Unauthenticated(Exception):
    """No usable credentials (HTTP 401 / SOAP Client fault / XML exception)."""


def _is_loopback(address: str | None) -> bool:
    import ipaddress

    if not address:
        return False
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an 'Authorization: Bearer <key>' header is required")
    return token.strip()


def caller_for_http(credentials: Credentials | None, authorization: str | None, remote: str | None) -> Caller:
    """The caller of an HTTP request by API key only (``identify_http`` also takes JWTs).

    With a credentials file: ``Authorization: Bearer <key>`` is required.
    Without one, only loopback connections are served, as the local admin.
    """
    if credentials is None:
        if _is_loopback(remote):
            return LOCAL_ADMIN
        raise Unauthenticated("no credentials are configured: only loopback clients are served")
    caller = credentials.caller_for_key(_bearer(authorization))
    if caller is None:
        raise Unauthenticated("unknown API key")
    return caller


async def identify_http(
    credentials: Credentials | None, authorization: str | None, remote: str | None
) -> Caller:
    """The caller of an HTTP request (REST and SOAP alike): an API key of the credentials file,
    or -- when OAuth2 is configured -- a JWT of the identity provider.

    A key is looked up first (a hash, no I/O); a bearer value that is no known key
    and has a JWT's shape goes to the verifier, which may fetch the provider's keys.
    """
    if credentials is None or credentials.oauth is None:
        return caller_for_http(credentials, authorization, remote)
    token = _bearer(authorization)
    caller = credentials.caller_for_key(token)
    if caller is not None:
        return caller
    if token.count(".") != 2:
        raise Unauthenticated("unknown API key")
    return await credentials.oauth.caller(token)
