"""A reply goes only to a queue its requester owns (issue 13, item 7)."""

from __future__ import annotations

import re

import pytest

from adapters.amqp.dispatch import IncomingRequest, RequestDispatcher, Unanswerable
from adapters.amqp.reply_queue import refusal
from adapters.identity import Credentials
from adapters.memory import MemoryOrderStore
from adapters.xml import NS, XmlOrderOperations
from core.usecases import OrderManagement

OWN = ("ordergate.requests", "ordergate.requests.dlq")


@pytest.mark.parametrize(
    "reply_to",
    [
        "amq.rabbitmq.reply-to.g1h2AA1yZXBseUA5MjQ4ODg0AABJ0gAAAABrEGEb.cE6kM6GnmIrKNIH9RUp3ew==",
        "amq.gen-JzTY20BRgKO-HjmUJj0wLg",
        "acme.replies",
    ],
)
def test_queues_the_requester_owns_are_accepted(reply_to):
    assert refusal(reply_to, "acme.", OWN) is None


@pytest.mark.parametrize(
    ("reply_to", "prefix", "reason"),
    [
        ("zeta.replies", "acme.", "not a queue the requester owns"),
        ("acme.replies", None, "not a queue the requester owns"),
        ("billing.work", None, "not a queue the requester owns"),
        ("amq.rabbitmq.reply-to", None, "not a queue the requester owns"),
        ("ordergate.requests", "ordergate.", "a queue of the gateway's own"),
        ("ordergate.requests.dlq", None, "a queue of the gateway's own"),
    ],
)
def test_any_other_queue_is_refused_with_the_reason(reply_to, prefix, reason):
    refused = refusal(reply_to, prefix, OWN)
    assert refused is not None
    assert reason in refused


def test_the_refusal_names_what_the_requester_may_use():
    refused = refusal("zeta.replies", "acme.", OWN) or ""
    assert "amq.rabbitmq.reply-to" in refused
    assert "amq.gen-" in refused
    assert "acme.…" in refused


@pytest.fixture
def credentials(tmp_path) -> Credentials:
    path = tmp_path / "credentials.json"
    path.write_text(
        '{"clients": ['
        '{"clientId": "acme", "amqpUser": "acme-broker", "replyQueuePrefix": "acme."},'
        '{"clientId": "zeta", "amqpUser": "zeta-broker", "replyQueuePrefix": "zeta."}]}'
    )
    return Credentials.load(path)


async def test_a_request_replying_into_another_clients_queue_is_unanswerable_and_not_run(credentials):
    store = MemoryOrderStore()
    dispatcher = RequestDispatcher(XmlOrderOperations(OrderManagement(store)), credentials, 4096)
    body = (
        f'<createOrderByValueRequest xmlns="{NS}"><serviceOrderValue><items><item><id>1</id>'
        "<action>add</action><entity><specification><id>fibre</id></specification></entity>"
        "</item></items></serviceOrderValue></createOrderByValueRequest>"
    ).encode()
    attack = IncomingRequest(body, message_id="m-1", reply_to="zeta.replies", user_id="acme-broker")
    with pytest.raises(Unanswerable, match=re.escape("'zeta.replies' is not a queue the requester owns")):
        await dispatcher.answer(attack)
    assert store.documents == {}
    # an unknown broker user owns no prefix: it is refused before it is told it is unknown
    stranger = IncomingRequest(body, message_id="m-2", reply_to="acme.replies", user_id="stranger")
    with pytest.raises(Unanswerable):
        await dispatcher.answer(stranger)
    own = IncomingRequest(body, message_id="m-3", reply_to="acme.replies", user_id="acme-broker")
    assert (await dispatcher.answer(own)).elements[0].findtext(f".//{{{NS}}}clientId") == "acme"
