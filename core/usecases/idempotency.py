"""Exactly-once execution of redelivered requests.

An inbound adapter whose transport may redeliver (AMQP) sets ``REQUEST_KEY``
(sender + message id) around a core call.  Every write operation then
records its result in the same transaction as its change, and a second call
with the same key returns the recorded result without executing again.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_KEY: ContextVar[str | None] = ContextVar("ordergate_request_key", default=None)
