"""Hypothesis over the XML vocabulary, sent to the real gateway's request queue on the real RabbitMQ.

``schema``: requests generated from the served XSD (every operation, values at
the edges of their types, ids of real orders); ``hostile``: the same, mutated
(``tests/fuzz/xml_messages.py``).  Every request must be

* answered, within ``REQUEST_SECONDS``, by replies that validate against the
  served XSD (the requester checks each with xmlschema): ``<op>Response``
  pages, or one ``<op>Exception`` whose code is never ``remote`` (the
  database is up: a ``remote`` is the gateway failing on the input);
* or dead-lettered with its reason (``x-ordergate-reason``), as
  ``docs/amqp.md`` lists -- never a request the schema accepts;
* and when refused, it changed nothing: every order's version is as before.

No entity is expanded and no external one read: no reply holds the trap
file's secret or an expansion, and the trap port saw no connection.  After
every hostile message the gateway still answers a plain request.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from lxml import etree

from tests.amqp_broker import Received
from tests.fuzz.budget import REQUEST_SECONDS, fuzz_settings
from tests.fuzz.conftest import XmlRig
from tests.fuzz.served import Book
from tests.fuzz.xml_messages import NS, Vocabulary, hostile

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]
SCALE = 10  # an XML example costs a round trip of milliseconds: ten for each REST one
EXPANDED = b"lollollol"


@dataclass
class Exchange:
    replies: list[Received] = field(default_factory=list)
    dead_reason: str | None = None
    before: Book | None = None
    after: Book | None = None


def _finished(replies: list[Received]) -> bool:
    """All of a request's replies are in: a query's last page says so."""
    if not replies:
        return False
    last = replies[-1]
    return last.name != "queryOrdersResponse" or last.text("om:endOfReply") in ("true", "1")


async def _exchange(rig: XmlRig, body: bytes, headers: dict[str, Any]) -> Exchange:
    assert rig.requester is not None
    found = Exchange(before=await rig.book())
    message_id = uuid.uuid4().hex
    await rig.requester.send(body, message_id=message_id, headers=headers, user_id="guest")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + REQUEST_SECONDS
    while not _finished(rig.requester.replies.get(message_id, [])) and message_id not in rig.dead:
        assert loop.time() < deadline, f"no reply and nothing dead-lettered in {REQUEST_SECONDS} s"
        await asyncio.sleep(0.005)
    found.replies = list(rig.requester.replies.pop(message_id, []))
    if message_id in rig.dead:
        found.dead_reason = str((rig.dead.pop(message_id).headers or {}).get("x-ordergate-reason") or "")
    found.after = await rig.book()
    rig.note_orders(r.root for r in found.replies)
    return found


async def _still_answers(rig: XmlRig) -> None:
    (reply,) = await rig.call(f"<getEventTypesRequest xmlns='{NS}'/>")
    assert reply.name == "getEventTypesResponse", reply.body


def _judge(rig: XmlRig, sent: bytes, operation: str | None, got: Exchange) -> None:
    assert rig.requester is not None
    invalid, rig.requester.invalid[:] = list(rig.requester.invalid), []
    assert not invalid, f"replies off the served XSD: {invalid[:3]}"
    assert got.before is not None
    assert got.after is not None
    changed = got.after.changes_since(got.before)
    bodies = b"".join(r.body for r in got.replies)
    assert rig.traps.secret.encode() not in bodies, "an external entity was read into a reply"
    assert EXPANDED not in bodies, "an entity was expanded into a reply"
    assert rig.trap is not None
    assert rig.trap.connections == 0, "an external entity or DTD was fetched"
    if got.dead_reason is not None:
        event("dead-lettered")
        assert got.dead_reason, "dead-lettered without x-ordergate-reason"
        assert operation is None, f"a request the schema accepts was dead-lettered: {got.dead_reason}"
        assert not changed, f"a dead-lettered request changed {changed[:5]}"
        return
    names = [r.name for r in got.replies]
    assert all(n.endswith(("Response", "Exception")) for n in names), names
    if operation is not None:
        assert all(n in (f"{operation}Response", f"{operation}Exception") for n in names), names
    refusals = [r for r in got.replies if r.name.endswith("Exception")]
    event(
        "response"
        if not refusals
        else f"exception: {etree.QName(refusals[0].root[0]).localname} {refusals[0].root[0].findtext('{urn:ordergate:xml:om:v1}message')[:70]}"
    )
    if refusals:
        assert len(got.replies) == 1, names
        (exception,) = refusals[0].root
        code, message = exception.findtext(f"{{{NS}}}code"), exception.findtext(f"{{{NS}}}message")
        assert code not in ("remote", "unexpected"), f"the gateway failed on the input: {code}: {message}"
        assert not changed, f"{names[0]} ({code}: {message}) but the request changed {changed[:5]}"


def _vocabulary(rig: XmlRig) -> Vocabulary:
    return Vocabulary(rig.gateway.schema, rig.keys)


HEADERS = st.one_of(
    st.just({}),
    st.sampled_from(["createOrderByValueRequest", "getOrderByKeyRequest", "x", ""]).map(
        lambda name: {"OSS_MESSAGE_NAME": name}
    ),
    st.just({"OSS_REQUEST_SENDER_ID": "fuzzer-" + "s" * 600}),
)


@fuzz_settings(scale=SCALE)
@given(data=st.data())
def test_a_request_the_schema_accepts_is_answered_in_the_vocabulary(xml_rig: XmlRig, data: Any):
    request = data.draw(_vocabulary(xml_rig).requests(), label="request")
    body = etree.tostring(request, xml_declaration=True, encoding="UTF-8")
    operation = etree.QName(request).localname.removesuffix("Request")
    got = xml_rig.run(_exchange(xml_rig, body, data.draw(HEADERS, label="headers")))
    _judge(xml_rig, body, operation, got)


@fuzz_settings(scale=SCALE)
@given(data=st.data())
def test_a_hostile_message_is_refused_or_dead_lettered_and_changes_nothing_it_refuses(
    xml_rig: XmlRig, data: Any
):
    body = data.draw(hostile(xml_rig.traps)(_vocabulary(xml_rig).requests()), label="message")
    got = xml_rig.run(_exchange(xml_rig, body, data.draw(HEADERS, label="headers")))
    _judge(xml_rig, body, None, got)
    xml_rig.run(_still_answers(xml_rig))
