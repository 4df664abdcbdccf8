"""Caller identity shared by every profile: API keys, bearer tokens and broker users -> Caller.

The credentials file (``ORDERGATE_CREDENTIALS``) is JSON::

    {"clients": [
        {"clientId": "acme", "roles": ["client"],
         "keySha256": "<hex sha-256 of the API key>", "amqpUser": "acme",
         "replyQueuePrefix": "acme."}
    ]}

Keys are stored hashed; ``ordergate hash-key`` prints the hash of a key.
``replyQueuePrefix`` names the AMQP reply queues the client owns.  With
``OAuthSettings`` (an identity provider's JWKS, issuer and audience) the
HTTP profiles also accept that provider's JWTs (``oauth``).
"""

from adapters.identity.credentials import (
    LOCAL_ADMIN,
    Credentials,
    Unauthenticated,
    caller_for_http,
    hash_key,
    identify_http,
)
from adapters.identity.oauth import OAuthSettings, OAuthVerifier

__all__ = [
    "LOCAL_ADMIN",
    "Credentials",
    "OAuthSettings",
    "OAuthVerifier",
    "Unauthenticated",
    "caller_for_http",
    "hash_key",
    "identify_http",
]
