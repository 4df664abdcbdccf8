"""The id of the request being served, for the logs and for the reply that carries it.

An inbound adapter sets ``REQUEST_ID`` around the handling of one request
(REST: the ``X-Request-ID`` header, or one made up and echoed; AMQP: the
message's ``correlation_id``); every log line written meanwhile names it.
"""

from __future__ import annotations

from contextvars import ContextVar

REQUEST_ID: ContextVar[str | None] = ContextVar("ordergate_request_id", default=None)
