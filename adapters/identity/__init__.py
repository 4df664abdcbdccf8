"""Caller identity shared by every profile: API keys and broker users -> Caller.

The credentials file (``ORDERGATE_CREDENTIALS``) is JSON::

    {"clients": [
        {"clientId": "acme", "roles": ["client"],
         "keySha256": "<hex sha-256 of the API key>", "amqpUser": "acme",
         "replyQueuePrefix": "acme."}
    ]}

Keys are stored hashed; ``ordergate hash-key`` prints the hash of a key.
``replyQueuePrefix`` names the AMQP reply queues the client owns.
"""

from adapters.identity.credentials import (
    LOCAL_ADMIN,
    Credentials,
    Unauthenticated,
    caller_for_http,
    hash_key,
)

__all__ = ["LOCAL_ADMIN", "Credentials", "Unauthenticated", "caller_for_http", "hash_key"]
