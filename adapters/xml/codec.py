"""Vocabulary elements <-> canonical documents: the one mapping for both XML profiles.

Canonical documents are those of ``core.document``; here they gain
their XML form: states become OSS/J strings, priorities OSS/J integers, the
id a ``key`` with the order kind, lists wrapper elements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from adapters.xml.clientdata import attributes, client_data, write_json_element
from adapters.xml.model import ObjectType, model
from adapters.xml.schema import NS, q
from core.document.fields import (
    CHARACTERISTIC_FIELDS,
    DATE_FIELDS,
    ENTITY_FIELDS,
    ITEM_FIELDS,
    ITEM_RELATIONSHIP_FIELDS,
    ORDER_FIELDS,
    SPECIFICATION_FIELDS,
)
from core.document.relaxations import POLYMORPHIC
from core.document.text import NOT_XML
from core.domain.errors import IllegalAttributeValue
from core.domain.model import Kind, Priority
from core.domain.states import State

# element order of OrderValue, after key
_SIMPLE_HEAD = (
    "orderType",
    "externalId",
    "state",
    "stateReason",
    "version",
    "clientId",
    "priority",
    "description",
    "category",
)
VALUE_ELEMENTS = {f"{k.value}Value": k for k in Kind}
POLYMORPHIC_KEYS = frozenset(POLYMORPHIC)


def sub(parent: etree._Element, name: str, text: object | None = None) -> etree._Element:
    el = etree.SubElement(parent, q(name))
    if text is not None:
        el.text = _text(text)
    return el


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


# Children are matched with ``iterchildren(tag)``, which lxml does in C; ``find``
# goes through its Python path engine and took twice as long per lookup.


def child(el: etree._Element, name: str) -> etree._Element | None:
    return next(el.iterchildren(q(name)), None)


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if el is None else list(el.iterchildren(q(name)))


def text_of(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    found = next(el.iterchildren(q(name)), None)
    return None if found is None else (found.text or "")


_OWN = f"{{{NS}}}"


def by_name(el: etree._Element) -> dict[str, etree._Element]:
    """The vocabulary's child elements by local name, the first of each name: one pass over
    the children instead of a lookup per name."""
    out: dict[str, etree._Element] = {}
    for c in el:
        tag = c.tag
        if isinstance(tag, str) and tag.startswith(_OWN):
            out.setdefault(tag[len(_OWN) :], c)
    return out


def text_in(found: Mapping[str, etree._Element], name: str) -> str | None:
    """``text_of`` over the result of ``by_name``."""
    el = found.get(name)
    return None if el is None else (el.text or "")


# ------------------------------------------------------------------ states, priority


def state_to_xml(canonical: str) -> str:
    return State(canonical).ossj


def state_from_xml(ossj: str) -> str:
    return State.from_ossj(ossj).value


def priority_to_xml(canonical: str) -> int:
    return Priority[canonical.upper()].ossj


def priority_from_xml(raw: str) -> str:
    try:
        return Priority.from_ossj(int(raw)).name.lower()
    except ValueError:
        raise IllegalAttributeValue("priority", f"{raw!r} is not one of 1..5") from None


# ------------------------------------------------------------------ keys


def key_element(parent: etree._Element, kind: str, order_id: str, name: str = "key") -> etree._Element:
    key = sub(parent, name)
    sub(key, "type", kind)
    sub(key, "primaryKey", order_id)
    return key


def key_from(el: etree._Element) -> tuple[Kind, str]:
    return Kind.parse(text_of(el, "type") or ""), text_of(el, "primaryKey") or ""


# ------------------------------------------------------------------ order value: canonical -> XML
#
# An order value is written as text and parsed once: lxml builds a tree from
# text in C, several times faster than element by element from Python (the
# order value is most of every reply and event).

_ESCAPES = {"\r": "&#13;"}  # a parser would read a raw CR as LF
_SPECIAL = re.compile(f"[&<>\r]|{NOT_XML.pattern}")


def put(out: list[str], name: str, value: object) -> None:
    """Append ``<name>value</name>``; ValueError for text XML 1.0 cannot carry (as lxml raises)."""
    text = value if type(value) is str else _text(value)
    if _SPECIAL.search(text):
        if NOT_XML.search(text):
            raise ValueError(f"{name}: the text holds characters XML cannot carry")
        text = escape(text, _ESCAPES)
    out.append(f"<{name}>{text}</{name}>")


def key_xml(out: list[str], kind: str, order_id: str) -> None:
    """``key_element`` as text."""
    out.append("<key>")
    put(out, "type", kind)
    put(out, "primaryKey", order_id)
    out.append("</key>")


def _open(out: list[str], name: str, doc: Mapping[str, Any]) -> None:
    out.append(f"<{name}{attributes(doc)}>" if doc.keys() & POLYMORPHIC_KEYS else f"<{name}>")


def _entity_xml(out: list[str], entity: Mapping[str, Any], levels: Mapping[str, ObjectType]) -> None:
    _open(out, "entity", entity)
    if "id" in entity:
        put(out, "id", entity["id"])
    spec = entity.get("specification")
    if spec is not None:
        _open(out, "specification", spec)
        for name in ("id", "name"):
            if name in spec:
                put(out, name, spec[name])
        client_data(out, spec, levels["Specification"], SPECIFICATION_FIELDS)
        out.append("</specification>")
    for char in entity.get("characteristics", ()):
        _open(out, "characteristic", char)
        put(out, "name", char["name"])
        write_json_element(out, "value", char.get("value"))
        client_data(out, char, levels["Characteristic"], CHARACTERISTIC_FIELDS)
        out.append("</characteristic>")
    client_data(out, entity, levels["Entity"], ENTITY_FIELDS)
    out.append("</entity>")


def _item_xml(out: list[str], item: Mapping[str, Any], levels: Mapping[str, ObjectType]) -> None:
    _open(out, "item", item)
    put(out, "id", item["id"])
    put(out, "action", item["action"])
    if "state" in item:
        put(out, "state", state_to_xml(item["state"]))
    for name in ("stateReason", "quantity"):
        if name in item:
            put(out, name, item[name])
    entity = item.get("entity")
    if entity is not None:
        _entity_xml(out, entity, levels)
    for rel in item.get("relationships", []):
        _open(out, "relationship", rel)
        put(out, "type", rel["type"])
        put(out, "itemId", rel["itemId"])
        client_data(out, rel, levels["ItemRelationship"], ITEM_RELATIONSHIP_FIELDS)
        out.append("</relationship>")
    if "pointOfNoReturn" in item:
        put(out, "pointOfNoReturn", item["pointOfNoReturn"])
    if "items" in item:
        out.append("<items>")
        for inner in item["items"]:
            _item_xml(out, inner, levels)
        out.append("</items>")
    for child in item.get("children", ()):
        out.append("<child>")
        for name in ("part", "kind", "orderId"):
            if name in child:
                put(out, name, child[name])
        out.append("</child>")
    client_data(out, item, levels["Item"], ITEM_FIELDS)
    out.append("</item>")


def order_xml(doc: Mapping[str, Any], declare: bool = True) -> str:
    """``<{kind}Value>`` as text, for a (possibly attribute-selected) canonical order document;
    ``declare``: it declares the vocabulary's namespace (not needed inside an element that does)."""
    name = f"{doc['kind']}Value"
    levels = model(Kind(doc["kind"])).levels
    out = [f'<{name} xmlns="{NS}"{attributes(doc)}>' if declare else f"<{name}{attributes(doc)}>"]
    key_xml(out, doc["kind"], doc["id"])
    for field in _SIMPLE_HEAD:
        if field not in doc:
            continue
        value = doc[field]
        if field == "state":
            value = state_to_xml(value)
        elif field == "priority":
            value = priority_to_xml(value)
        put(out, field, value)
    for field in (*DATE_FIELDS, "cancellationReason"):
        if field in doc:
            put(out, field, doc[field])
    _list(out, doc, "notes", "note", ("text", "author", "date"), levels["Note"])
    _list(out, doc, "relatedParties", "relatedParty", ("id", "role", "name"), levels["Party"])
    _list(out, doc, "relationships", "relationship", ("type", "orderId"), levels["OrderRelationship"])
    if "items" in doc:
        out.append("<items>")
        for item in doc["items"]:
            _item_xml(out, item, levels)
        out.append("</items>")
    if "parent" in doc:
        out.append("<parent>")
        for field in ("kind", "orderId", "itemId"):  # not ``name``: the element's, closed below
            put(out, field, doc["parent"][field])
        out.append("</parent>")
    _tracked(out, doc, "milestones", "milestone", MILESTONE_FIELDS)
    _tracked(out, doc, "jeopardyAlerts", "jeopardyAlert", JEOPARDY_FIELDS)
    client_data(out, doc, levels["Order"], ORDER_FIELDS | {"id"})
    out.append(f"</{name}>")
    return "".join(out)


MILESTONE_FIELDS = ("id", "name", "milestoneDate", "status", "description", "message")
JEOPARDY_FIELDS = ("id", "name", "alertDate", "jeopardyType", "exception", "message")


def _tracked(out: list[str], doc: Mapping[str, Any], wrapper: str, name: str, fields: tuple[str, ...]) -> None:
    """Milestones and jeopardy alerts: the gateway's own records, typed elements only."""
    if wrapper not in doc:
        return
    out.append(f"<{wrapper}>")
    for entry in doc[wrapper]:
        out.append(f"<{name}>")
        for f in fields:
            if f in entry:
                put(out, f, entry[f])
        out.append(f"</{name}>")
    out.append(f"</{wrapper}>")


def _list(
    out: list[str],
    doc: Mapping[str, Any],
    wrapper: str,
    name: str,
    fields: tuple[str, ...],
    level: ObjectType,
) -> None:
    if wrapper not in doc:
        return
    out.append(f"<{wrapper}>")
    typed = frozenset(fields)
    for entry in doc[wrapper]:
        _open(out, name, entry)
        for f in fields:
            if f in entry:
                put(out, f, entry[f])
        client_data(out, entry, level, typed)
        out.append(f"</{name}>")
    out.append(f"</{wrapper}>")


# Parses only what this module wrote: no entities, nothing fetched.
OWN_TEXT = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def order_element(parent: etree._Element | None, doc: Mapping[str, Any]) -> etree._Element:
    """``<{kind}Value>`` for a (possibly attribute-selected) canonical order document,
    appended to ``parent`` when one is given."""
    el = etree.fromstring(order_xml(doc), OWN_TEXT)
    if parent is not None:
        parent.append(el)
    return el
