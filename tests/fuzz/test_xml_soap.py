"""Hypothesis over the XML vocabulary in SOAP 1.1 envelopes, POSTed to the real gateway's endpoint.

``schema``: an envelope around a request generated from the served XSD;
``hostile``: the envelope and its request mutated (``tests/fuzz/xml_messages.py``:
the mutations reach the Envelope, Header and Body too), with callers of
every kind (the fuzzing client with every role, a client, a fulfiller, none,
an unknown key), SOAPAction right, wrong or absent, and the media types a
client might send.  Every answer, within ``REQUEST_SECONDS``, is ``text/xml``
and either

* 200 with the operation's ``<op>Response``, valid against the served XSD, or
* a Fault (HTTP 500, WS-I R1126) whose faultcode is ``Client``,
  ``VersionMismatch`` or ``MustUnderstand`` -- never ``Server``, which says
  the gateway failed (its database is up) -- with, when it has a detail,
  one ``<op>Exception`` valid against the XSD;

and a refused request changed nothing.  No entity is expanded and no
external one read (``test_xml_amqp.py`` says how that is seen).
"""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from lxml import etree

from adapters.soap.envelope import SOAP11_ENV
from tests.fuzz.budget import REQUEST_SECONDS, fuzz_settings
from tests.fuzz.conftest import KEYS, XmlRig
from tests.fuzz.xml_messages import NS, Vocabulary, hostile

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]
SCALE = 10
REFUSALS = {"Client", "VersionMismatch", "MustUnderstand"}
EXPANDED = b"lollollol"

CALLERS = st.sampled_from(
    [f"Bearer {KEYS['fuzzer']}"] * 6
    + [f"Bearer {KEYS['alice']}", f"Bearer {KEYS['noc']}", "", "Bearer nobody"]
)
MEDIA_TYPES = st.sampled_from(
    ["text/xml; charset=utf-8"] * 6
    + ["application/xml", "text/xml; charset=iso-8859-1", "application/soap+xml", "text/plain", ""]
)


def envelope(request: etree._Element) -> etree._Element:
    root = etree.Element(f"{{{SOAP11_ENV}}}Envelope", nsmap={"s": SOAP11_ENV})
    etree.SubElement(root, f"{{{SOAP11_ENV}}}Body").append(request)
    return root


@st.composite
def _envelopes(draw: Any, requests: st.SearchStrategy[etree._Element]) -> etree._Element:
    """An envelope, sometimes with a header entry (one the gateway must understand, or not)."""
    root = envelope(draw(requests))
    if draw(st.integers(0, 4)) == 0:
        header = etree.Element(f"{{{SOAP11_ENV}}}Header")
        entry = etree.SubElement(header, "{urn:somebody:else}trace")
        entry.set(f"{{{SOAP11_ENV}}}mustUnderstand", draw(st.sampled_from(["0", "1", "true", " 1 "])))
        root.insert(0, header)
    return root


async def _post(rig: XmlRig, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(rig.soap_url, data=body, headers=headers) as response,
    ):
        return response.status, response.content_type, await response.read()


async def _exchange(rig: XmlRig, body: bytes, headers: dict[str, str]) -> tuple[Any, ...]:
    before = await rig.book()
    try:
        status, media_type, answer = await _post(rig, body, headers)
    except TimeoutError:
        raise AssertionError(f"no answer in {REQUEST_SECONDS} s") from None
    return before, status, media_type, answer, await rig.book()


def _judge(rig: XmlRig, operation: str | None, exchanged: tuple[Any, ...]) -> None:
    before, status, media_type, answer, after = exchanged
    assert media_type == "text/xml", (status, media_type, answer[:300])
    assert rig.traps.secret.encode() not in answer, "an external entity was read into the answer"
    assert EXPANDED not in answer, "an entity was expanded into the answer"
    assert rig.trap is not None
    assert rig.trap.connections == 0, "an external entity or DTD was fetched"
    body = etree.fromstring(answer).find(f"{{{SOAP11_ENV}}}Body")
    assert body is not None, answer[:300]
    (content,) = body
    schema = rig.gateway.schema
    changed = after.changes_since(before)
    if status == 200:
        event("response")
        name = etree.QName(content).localname
        assert name.endswith("Response"), answer[:300]
        assert operation is None or name == f"{operation}Response", answer[:300]
        schema.validate(etree.tostring(content).decode())
        rig.note_orders([content])
        return
    assert status == 500, (status, answer[:300])
    assert etree.QName(content).localname == "Fault", answer[:300]
    code = (content.findtext("faultcode") or "").rpartition(":")[2]
    reason = content.findtext("faultstring") or ""
    event(f"fault {code}")
    assert code in REFUSALS, f"the gateway failed on the input: {code}: {reason}"
    detail = content.find("detail")
    if detail is not None:
        (exception,) = detail
        schema.validate(etree.tostring(exception).decode())
        kind = exception[0].findtext(f"{{{NS}}}code")
        assert kind not in ("remote", "unexpected"), f"{kind}: {reason}"
    assert not changed, f"refused ({code}: {reason}) but the request changed {changed[:5]}"


def _vocabulary(rig: XmlRig) -> Vocabulary:
    return Vocabulary(rig.gateway.schema, rig.keys)


@fuzz_settings(scale=SCALE)
@given(data=st.data())
def test_an_envelope_the_schema_accepts_is_answered_or_refused_as_the_client_s_fault(
    xml_rig: XmlRig, data: Any
):
    request = data.draw(_vocabulary(xml_rig).requests(), label="request")
    operation = etree.QName(request).localname.removesuffix("Request")
    body = etree.tostring(envelope(request), xml_declaration=True, encoding="UTF-8")
    headers = {"Content-Type": "text/xml; charset=utf-8", "Authorization": f"Bearer {KEYS['fuzzer']}"}
    if data.draw(st.booleans(), label="SOAPAction"):
        headers["SOAPAction"] = f'"{operation}"'
    _judge(xml_rig, operation, xml_rig.run(_exchange(xml_rig, body, headers)))


@fuzz_settings(scale=SCALE)
@given(data=st.data())
def test_a_hostile_envelope_is_a_client_fault_and_changes_nothing_it_refuses(xml_rig: XmlRig, data: Any):
    envelopes = _envelopes(_vocabulary(xml_rig).requests())
    body = data.draw(hostile(xml_rig.traps)(envelopes), label="envelope")
    headers = {"Content-Type": data.draw(MEDIA_TYPES, label="media type")}
    if caller := data.draw(CALLERS, label="caller"):
        headers["Authorization"] = caller
    action = data.draw(st.sampled_from(["", '"getOrderByKey"', "createOrderByValue", '"x' * 50]))
    if action:
        headers["SOAPAction"] = action
    _judge(xml_rig, None, xml_rig.run(_exchange(xml_rig, body, headers)))
    still = etree.tostring(envelope(etree.Element(f"{{{NS}}}getEventTypesRequest")))
    ok = {"Content-Type": "text/xml", "Authorization": f"Bearer {KEYS['fuzzer']}"}
    status, _, answer = xml_rig.run(_post(xml_rig, still, ok))
    assert status == 200, answer[:300]
