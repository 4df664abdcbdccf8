"""Which queue a reply may go to: one the requester owns.

The gateway publishes replies with its own broker rights, which reach every
queue of its vhost.  A ``reply_to`` naming any queue would let a client have
the gateway write into queues the client itself may not write to -- another
client's replies, an application's work queue, the gateway's own request
queue.  So ``reply_to`` must name a queue only its requester can read:

* RabbitMQ's direct reply-to (the requester publishes with ``reply_to`` set
  to ``amq.rabbitmq.reply-to``; the broker hands the gateway a name bound to
  the requester's channel, ``amq.rabbitmq.reply-to.<token>``);
* a server-named queue (``amq.gen-…``): only the broker makes such names,
  at random, and tells them only to the connection that declared the queue;
* a queue under the requester's own ``replyQueuePrefix`` from the
  credentials file (the broker's permissions should let only that client
  declare queues under it).

Anything else is not answered: the request goes to the dead-letter queue
with the reason (``adapters/amqp/dispatch.py``).
"""

from __future__ import annotations

from collections.abc import Collection

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
SERVER_NAMED = "amq.gen-"


def refusal(reply_to: str, prefix: str | None, own_queues: Collection[str]) -> str | None:
    """Why a reply may not go to ``reply_to``, or None when the requester owns that queue."""
    if reply_to in own_queues:
        return f"reply_to {reply_to!r} is a queue of the gateway's own"
    if reply_to.startswith((f"{DIRECT_REPLY_TO}.", SERVER_NAMED)):
        return None
    if prefix and reply_to.startswith(prefix):
        return None
    owned = f", or a queue named {prefix}…" if prefix else ""
    return (
        f"reply_to {reply_to!r} is not a queue the requester owns: reply to {DIRECT_REPLY_TO}"
        f" (direct reply-to), a server-named queue ({SERVER_NAMED}…){owned}"
    )
