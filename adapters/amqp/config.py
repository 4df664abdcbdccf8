"""Settings of the XML-over-AMQP profile; the names default to those of the external contract."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AmqpSettings:
    url: str
    requests_queue: str = "ordergate.requests"
    dead_letter_queue: str = "ordergate.requests.dlq"
    events_exchange: str = "ordergate.events"
    # unacknowledged requests the broker may push to this process at once
    prefetch: int = 64
    # requests executed at once; the rest of the prefetch waits in memory, ready to
    # run while those executing wait for the database or the broker (measured with
    # ``ordergate bench amqp``: at 16 of 32 they moved in waves, the process idling
    # while a wave's commit was out)
    concurrency: int = 32
    max_message_bytes: int = 1024 * 1024
    reconnect_seconds: float = 1.0
    # database-unavailable backoff before a request goes back to the queue
    backoff_first_seconds: float = 0.5
    backoff_max_seconds: float = 30.0
    # how long a stopping listener lets requests in flight finish
    drain_seconds: float = 10.0
    publish_timeout_seconds: float = 10.0
    # What one queryOrders request may cost in replies: a query of a few thousand orders
    # with howMany=1 would otherwise be thousands of replies, every one held in memory
    # until they are published together with the request's acknowledgement.
    max_query_replies: int = 64
    max_reply_bytes: int = 1024 * 1024
    max_query_bytes: int = 8 * 1024 * 1024
    # the request and dead-letter queues: "classic" (durable) or "quorum" (RabbitMQ's replicated
    # queues, for a cluster of brokers; always durable)
    queue_type: str = "classic"
    # The dead-letter queue keeps the newest requests it was given up to these bounds;
    # beyond them the broker drops the oldest (x-overflow drop-head), so a flood of
    # unanswerable requests cannot fill the broker's disk.
    dead_letter_max_messages: int = 100_000
    dead_letter_max_bytes: int = 256 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.queue_type not in ("classic", "quorum"):
            raise ValueError(f"queue_type must be classic or quorum, not {self.queue_type!r}")
        sizes = (self.prefetch, self.concurrency, self.max_message_bytes, self.max_query_replies)
        bounds = (self.max_reply_bytes, self.max_query_bytes, self.dead_letter_max_messages)
        if min(sizes) < 1 or min(bounds) < 1 or self.dead_letter_max_bytes < 1:
            raise ValueError(
                "prefetch, concurrency and the message, reply and query limits must be at least 1"
            )

    @property
    def queue_arguments(self) -> dict[str, Any] | None:
        """What the gateway's queues are declared with (the broker refuses a redeclaration that
        differs: a queue of the other type must be deleted, or moved, first)."""
        return {"x-queue-type": "quorum"} if self.queue_type == "quorum" else None

    @property
    def dead_letter_arguments(self) -> dict[str, Any]:
        """The dead-letter queue's declaration: the queue type and its bounds."""
        return {
            **(self.queue_arguments or {}),
            "x-max-length": self.dead_letter_max_messages,
            "x-max-length-bytes": self.dead_letter_max_bytes,
            "x-overflow": "drop-head",
        }

    @property
    def reply_limits(self) -> ReplyLimits:
        return ReplyLimits(self.max_query_replies, self.max_reply_bytes, self.max_query_bytes)


@dataclass(frozen=True)
class ReplyLimits:
    """What the replies to one request may come to; a query that would need more is refused."""

    max_query_replies: int = AmqpSettings.max_query_replies
    max_reply_bytes: int = AmqpSettings.max_reply_bytes
    max_query_bytes: int = AmqpSettings.max_query_bytes
