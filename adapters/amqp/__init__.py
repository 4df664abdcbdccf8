"""The XML-over-AMQP profile (OSS/J XML/JMS conventions on RabbitMQ, DESIGN §4).

Requests on the durable queue ``ordergate.requests`` are answered on their
``reply_to``; requests that cannot be answered go to
``ordergate.requests.dlq``; domain events go to the topic exchange
``ordergate.events``.  ``AmqpProfile`` is the one entry point the composition
root uses; nothing connects before its ``serve`` runs.  See ``docs/amqp.md``.
"""

from adapters.amqp.config import AmqpSettings
from adapters.amqp.profile import AmqpProfile, running

__all__ = ["AmqpProfile", "AmqpSettings", "running"]
