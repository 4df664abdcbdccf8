"""Loading the credentials file and resolving callers from it."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from pathlib import Path

from core.domain.errors import IllegalArgument
from core.domain.model import Caller, Role

LOCAL_ADMIN = Caller("local", frozenset({Role.ADMIN, Role.CLIENT, Role.FULFILLER}))


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    caller: Caller
    key_sha256: str | None
    amqp_user: str | None


class Credentials:
    """Who may call, with which roles.  ``None`` file = open to loopback only, as local admin."""

    def __init__(self, entries: list[_Entry]) -> None:
        self._entries = entries
        self._by_user = {e.amqp_user: e.caller for e in entries if e.amqp_user}

    @classmethod
    def load(cls, path: str | Path) -> Credentials:
        try:
            raw = json.loads(Path(path).read_text())
        except (OSError, ValueError) as e:
            raise IllegalArgument(f"credentials file {path}: {e}") from e
        entries = []
        for c in raw.get("clients", []):
            roles = frozenset(Role(r) for r in c.get("roles", ["client"]))
            entries.append(_Entry(Caller(str(c["clientId"]), roles), c.get("keySha256"), c.get("amqpUser")))
        return cls(entries)

    def caller_for_key(self, key: str) -> Caller | None:
        digest = hash_key(key)
        for e in self._entries:
            if e.key_sha256 and hmac.compare_digest(e.key_sha256, digest):
                return e.caller
        return None

    def caller_for_amqp_user(self, user: str) -> Caller | None:
        return self._by_user.get(user)


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


def caller_for_http(credentials: Credentials | None, authorization: str | None, remote: str | None) -> Caller:
    """The caller of an HTTP request (REST and SOAP alike).

    With a credentials file: ``Authorization: Bearer <key>`` is required.
    Without one, only loopback connections are served, as the local admin.
    """
    if credentials is None:
        if _is_loopback(remote):
            return LOCAL_ADMIN
        raise Unauthenticated("no credentials are configured: only loopback clients are served")
    scheme, _, key = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise Unauthenticated("an 'Authorization: Bearer <key>' header is required")
    caller = credentials.caller_for_key(key.strip())
    if caller is None:
        raise Unauthenticated("unknown API key")
    return caller
