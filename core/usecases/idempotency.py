"""Exactly-once execution of redelivered requests, and no answer from the log to another request.

An inbound adapter whose transport may redeliver (AMQP) sets ``REQUEST_KEY``
(who sent which message) around a core call.  Every write operation then
records its result in the same transaction as its change, and a second call
with the same key returns the recorded result without executing again.

A key says which message a request claims to be, not what it asks: a client
may reuse one by mistake (or on purpose) for another operation or another
body.  Answered from the log, such a request would be told it succeeded while
nothing ran.  So the adapter also sets ``REQUEST_HASH``, a digest of what the
request asks (operation, caller, body); it is recorded with the result, and a
recorded result is given back only to a request with the same digest.
Another digest is ``KeyReused``: refused, nothing runs.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Any

from core.domain.errors import IllegalArgument

REQUEST_KEY: ContextVar[str | None] = ContextVar("ordergate_request_key", default=None)
REQUEST_HASH: ContextVar[str | None] = ContextVar("ordergate_request_hash", default=None)

# where the digest travels inside a recorded result (the request log stores one JSON document)
HASH_FIELD = "requestHash"


class KeyReused(IllegalArgument):
    """The request's key was recorded for another request (another operation, caller or body)."""

    def __init__(self, key: str) -> None:
        super().__init__("the request's key was already used for another request; use a new one")
        self.key = key


def request_hash(operation: str, caller: str, body: bytes) -> str:
    """The digest of what a request asks: unambiguous over its parts (each length-prefixed)."""
    digest = hashlib.sha256()
    for part in (operation.encode(), caller.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def element_hash(outer: str | None, index: int) -> str | None:
    """The digest of one element of a best-effort bulk request, derived as its key is."""
    return None if outer is None else f"{outer}#{index}"


def stamped(result: dict[str, Any]) -> dict[str, Any]:
    """``result`` with the digest of the request being served, to record it with."""
    digest = REQUEST_HASH.get()
    return result if digest is None else {**result, HASH_FIELD: digest}


def checked(key: str, recorded: dict[str, Any] | None) -> dict[str, Any] | None:
    """The recorded result, if it was recorded for this very request; ``KeyReused`` otherwise.

    A result recorded without a digest (before digests were kept, or by a caller
    that sets none) is given back as before: there is nothing to compare."""
    if recorded is None:
        return None
    digest, kept = REQUEST_HASH.get(), recorded.get(HASH_FIELD)
    if digest is not None and kept is not None and kept != digest:
        raise KeyReused(key)
    return recorded
