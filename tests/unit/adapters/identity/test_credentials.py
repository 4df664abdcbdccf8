"""The credentials file: clients, their keys, broker users and reply-queue prefixes."""

from __future__ import annotations

import json
import re

import pytest

from adapters.identity import Credentials, hash_key
from core.domain.errors import IllegalArgument


def load(tmp_path, *clients: dict) -> Credentials:
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"clients": list(clients)}))
    return Credentials.load(path)


def test_a_broker_user_has_its_clients_reply_queue_prefix(tmp_path):
    credentials = load(
        tmp_path,
        {"clientId": "acme", "keySha256": hash_key("k"), "amqpUser": "acme", "replyQueuePrefix": "acme."},
        {"clientId": "noc", "roles": ["fulfiller"], "amqpUser": "noc"},
    )
    assert credentials.reply_queue_prefix("acme") == "acme."
    assert credentials.reply_queue_prefix("noc") is None
    assert credentials.reply_queue_prefix("stranger") is None
    assert credentials.reply_queue_prefix(None) is None
    assert credentials.caller_for_key("k").client_id == "acme"  # type: ignore[union-attr]


@pytest.mark.parametrize("prefix", ["", "amq.gen-", "amq.rabbitmq.reply-to", 7])
def test_a_prefix_the_broker_names_or_an_empty_one_is_refused(tmp_path, prefix):
    with pytest.raises(IllegalArgument, match="replyQueuePrefix"):
        load(tmp_path, {"clientId": "acme", "amqpUser": "acme", "replyQueuePrefix": prefix})


def test_a_prefix_taking_in_another_clients_queues_is_refused(tmp_path):
    with pytest.raises(IllegalArgument, match=re.escape("'acme' of 'acme' takes in 'acme-x.' of 'evil'")):
        load(
            tmp_path,
            {"clientId": "evil", "amqpUser": "evil", "replyQueuePrefix": "acme-x."},
            {"clientId": "acme", "amqpUser": "acme", "replyQueuePrefix": "acme"},
        )
    # one client may have several entries with the same prefix
    load(
        tmp_path,
        {"clientId": "acme", "amqpUser": "acme-1", "replyQueuePrefix": "acme."},
        {"clientId": "acme", "amqpUser": "acme-2", "replyQueuePrefix": "acme."},
    )


@pytest.mark.parametrize(
    ("client_id", "reason"),
    [
        ("acme~1", "holds no '~'"),  # it would reach into another client's ids (<client>~<key>)
        ("ac me", "white space"),
        ("acme\n", "control characters"),
        ("", "non-empty string"),
        (7, "non-empty string"),
        ("a" * 129, "at most 128"),
    ],
)
def test_a_client_id_that_could_not_own_a_namespace_of_ids_is_refused(tmp_path, client_id, reason):
    with pytest.raises(IllegalArgument, match=re.escape(reason)):
        load(tmp_path, {"clientId": client_id, "keySha256": hash_key("k")})
