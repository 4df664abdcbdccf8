"""The comparison behind the documents' examples (``tests/doc_examples.py``): a documented reply
passes against itself, and fails against any reply that differs from it in structure or in a
value that does not change from run to run -- each such difference tried, on every documented
reply of docs/amqp.md, docs/soap.md and docs/rest.md."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests import doc_examples as ex

XML_REPLIES = [
    (doc, step.parts[part])
    for doc, part in [("amqp.md", "reply-body"), ("amqp.md", "event-body"), ("soap.md", "response")]
    for step in ex.read(ex.DOCS / doc)
    if part in step.parts
]
JSON_REPLIES = [
    step["response"]
    for step in ex.read(ex.DOCS / "rest.md")
    if ex.http_message(step["response"].text, "").body.strip()
]


def _passes(compare: Any, documented: str, real: Any) -> bool:
    try:
        compare(documented, real, ex.Values(), "mutant")
    except AssertionError:
        return False
    return True


def xml_of(example: ex.Example) -> str:
    return ex.http_message(example.text, example.where).body if example.lang == "http" else example.text


def test_every_profile_document_has_examples():
    assert len(XML_REPLIES) >= 10
    assert len(JSON_REPLIES) >= 6


# ------------------------------------------------------------------ XML


@pytest.mark.parametrize("example", [e for _, e in XML_REPLIES], ids=lambda e: e.where)
def test_a_documented_xml_reply_is_its_own_real_reply(example: ex.Example):
    text = xml_of(example)
    ex.compare_xml(text, text.encode(), ex.Values(), example.where)


def _leaves(root: etree._Element) -> Iterator[etree._Element]:
    for el in root.iter():
        if isinstance(el.tag, str) and not [c for c in el if isinstance(c.tag, str)]:
            yield el


def _mutants(text: str) -> Iterator[tuple[str, bytes]]:
    """The documented reply changed in one way each: every leaf's value (but an order id, learned
    from the reply, and a timestamp), every element left out, two elements swapped, an attribute
    changed, one element more."""
    root = ex.parse_xml(text)
    for i, el in enumerate(root.iter()):
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        children = [c for c in el if isinstance(c.tag, str)]

        def changed(make: Any, i: int = i) -> bytes:
            tree = copy.deepcopy(root)
            make(list(tree.iter())[i])
            return etree.tostring(tree)

        if not children and name not in ex.XML_VARYING and name != "primaryKey":
            yield f"{name}'s value", changed(lambda e: setattr(e, "text", (e.text or "") + "x"))
        if el.getparent() is not None:
            yield f"{name} left out", changed(lambda e: e.getparent().remove(e))
        if len(children) >= 2 and children[0].tag != children[1].tag:

            def swap(e: etree._Element) -> None:
                first, second = [c for c in e if isinstance(c.tag, str)][:2]
                second.addnext(first)

            yield f"{name}'s first two elements swapped", changed(swap)
        for attribute in el.attrib:
            yield f"{name}'s attribute {attribute}", changed(lambda e, a=attribute: e.set(a, e.get(a) + "x"))
    extra = copy.deepcopy(root)
    etree.SubElement(extra, "extra")
    yield "one element more", etree.tostring(extra)


@pytest.mark.parametrize("example", [e for _, e in XML_REPLIES], ids=lambda e: e.where)
def test_a_documented_xml_reply_fails_against_any_other(example: ex.Example):
    text = xml_of(example)
    mutants = list(_mutants(text))
    assert len(mutants) > 3
    unnoticed = [change for change, real in mutants if _passes(ex.compare_xml, text, real)]
    assert not unnoticed, f"{example.where}: unnoticed: {unnoticed}"


def test_a_varying_xml_value_is_checked_by_its_form_and_bound_to_the_real_one():
    doc = "<r><orderDate>2026-01-01T00:00:00.1Z</orderDate><startDate>2026-01-01T00:00:00.1Z</startDate></r>"
    values = ex.Values()
    ex.compare_xml(
        doc,
        "<r><orderDate>2027-05-05T01:02:03.4Z</orderDate><startDate>2027-05-05T01:02:03.4Z</startDate></r>",
        values,
        "t",
    )
    # shown twice as one value: the gateway must give one value twice
    with pytest.raises(AssertionError, match="startDate"):
        ex.compare_xml(
            doc,
            "<r><orderDate>2027-05-05T01:02:03.4Z</orderDate><startDate>2027-05-05T01:02:03.5Z</startDate></r>",
            ex.Values(),
            "t",
        )
    with pytest.raises(AssertionError, match="form"):
        ex.compare_xml(
            doc,
            "<r><orderDate>tomorrow</orderDate><startDate>2027-05-05T01:02:03.4Z</startDate></r>",
            ex.Values(),
            "t",
        )


def test_an_order_id_learned_from_a_reply_stands_for_the_real_one_afterwards():
    values = ex.Values()
    ex.compare_xml(
        "<r><primaryKey>doc-id-0001</primaryKey></r>",
        "<r><primaryKey>real-id-42</primaryKey></r>",
        values,
        "t",
    )
    assert (
        values.put("<get><primaryKey>doc-id-0001</primaryKey></get>")
        == "<get><primaryKey>real-id-42</primaryKey></get>"
    )
    ex.compare_xml(
        "<m>order 'doc-id-0001' is at version 2</m>", "<m>order 'real-id-42' is at version 2</m>", values, "t"
    )
    with pytest.raises(AssertionError):
        ex.compare_xml(
            "<r><primaryKey>doc-id-0001</primaryKey></r>",
            "<r><primaryKey>other-id</primaryKey></r>",
            values,
            "t",
        )


# ------------------------------------------------------------------ JSON


def _json_mutants(value: Any, path: str = "$", top: bool = True) -> Iterator[tuple[str, Any]]:
    """(what changed, the changed copy): every member and entry left out, every leaf changed
    (but the ids of the resources the reply is about, learned from it, and timestamps)."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield f"{path}.{key} left out", {k: v for k, v in value.items() if k != key}
            if key in ex.JSON_VARYING or (top and key == "id"):
                continue
            for change, other in _json_mutants(member, f"{path}.{key}", False):
                yield change, {**value, key: other}
    elif isinstance(value, list):
        for i, entry in enumerate(value):
            yield f"{path}[{i}] left out", value[:i] + value[i + 1 :]
            for change, other in _json_mutants(entry, f"{path}[{i}]", top):
                yield change, [*value[:i], other, *value[i + 1 :]]
    elif isinstance(value, bool):
        yield f"{path}'s value", not value
    elif isinstance(value, str):
        yield f"{path}'s value", value + "x"
    else:
        yield f"{path}'s value", [value]


@pytest.mark.parametrize("example", JSON_REPLIES, ids=lambda e: e.where)
def test_a_documented_json_reply_fails_against_any_other(example: ex.Example):
    body = ex.http_message(example.text, example.where).body
    doc = json.loads(body)
    ex.compare_json(body, doc, ex.Values(), example.where)
    mutants = list(_json_mutants(doc))
    assert len(mutants) > 3
    unnoticed = [change for change, other in mutants if _passes(ex.compare_json, body, other)]
    assert not unnoticed, f"{example.where}: unnoticed: {unnoticed}"


# ------------------------------------------------------------------ AMQP properties


PROPERTIES = [
    step.parts[part]
    for step in ex.read(ex.DOCS / "amqp.md")
    for part in ("reply-properties", "event-properties")
    if part in step.parts
]


def _property_mutants(documented: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, value in documented.items():
        yield f"{name} left out", {k: v for k, v in documented.items() if k != name}
        if name == "headers":
            for header in value:
                yield (
                    f"header {header} left out",
                    {**documented, name: {k: v for k, v in value.items() if k != header}},
                )
                yield f"header {header}", {**documented, name: {**value, header: value[header] + "x"}}
        elif name != "timestamp":
            yield f"{name}'s value", {**documented, name: value + "0"}
    yield "one property more", {**documented, "expiration": "60000"}


@pytest.mark.parametrize("example", PROPERTIES, ids=lambda e: e.where)
def test_documented_message_properties_fail_against_any_others(example: ex.Example):
    documented = ex.properties(example)
    ex.compare_properties(documented, documented, ex.Values(), example.where)
    unnoticed = []
    for change, real in _property_mutants(documented):
        try:
            ex.compare_properties(documented, real, ex.Values(), example.where)
        except AssertionError:
            continue
        unnoticed.append(change)
    assert not unnoticed, unnoticed
    # a timestamp is a whole second: of its form, whichever second it is
    later = {**documented, "timestamp": "2031-01-01T00:00:00Z"}
    ex.compare_properties(documented, later, ex.Values(), example.where)
    with pytest.raises(AssertionError, match="timestamp"):
        ex.compare_properties(documented, {**documented, "timestamp": "today"}, ex.Values(), example.where)


def test_amqp_md_shows_reply_and_event_properties():
    assert len(PROPERTIES) >= 5


# ------------------------------------------------------------------ reading the documents


def test_markers_and_fences_are_read_strictly(tmp_path: Path):
    doc = tmp_path / "t.md"
    doc.write_text(
        "<!-- example: a request -->\n```sh\ncurl -i x\n```\n"
        "<!-- example: a response -->\n```http\nHTTP/1.1 200 OK\n```\n"
    )
    (step,) = ex.read(doc)
    assert step.shape() == {"request", "response"}
    assert step["request"].text == "curl -i x\n"
    doc.write_text("<!-- example: a request -->\n\n```sh\ncurl -i x\n```\n")
    with pytest.raises(AssertionError, match="fenced code block on the next line"):
        ex.read(doc)
    doc.write_text("<!-- example: a request -->\n```sh\nx\n```\n<!-- example: a request -->\n```sh\ny\n```\n")
    with pytest.raises(AssertionError, match="a second example"):
        ex.read(doc)


def test_curl_commands_are_read_as_curl_reads_them():
    request = ex.curl(
        'curl -i -X PATCH http://h/x \\\n  -H \'If-Match: "1"\' \\\n  -d \'{"a": "b c"}\'\n', "t"
    )
    assert request == ex.Curl("PATCH", "http://h/x", {"If-Match": '"1"'}, '{"a": "b c"}')
    assert ex.curl("curl -i -d '{}' http://h/x", "t").method == "POST"
    with pytest.raises(AssertionError, match="-i"):
        ex.curl("curl http://h/x", "t")
    with pytest.raises(AssertionError, match="--compressed"):
        ex.curl("curl -i --compressed http://h/x", "t")
