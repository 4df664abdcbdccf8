"""Vocabulary elements <-> canonical documents: the one mapping for both XML profiles.

Canonical documents are those of ``core.domain.snapshot``; here they gain
their XML form: states become OSS/J strings, priorities OSS/J integers, the
id a ``key`` with the order kind, lists wrapper elements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lxml import etree

from adapters.xml.schema import NS, q
from core.domain.errors import IllegalAttributeValue
from core.domain.model import Kind, Priority
from core.domain.snapshot import DATE_FIELDS
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


def child(el: etree._Element, name: str) -> etree._Element | None:
    return el.find(q(name))


def children(el: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if el is None else el.findall(q(name))


def text_of(el: etree._Element | None, name: str) -> str | None:
    if el is None:
        return None
    found = el.find(q(name))
    return None if found is None else (found.text or "")


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


def _item_element(parent: etree._Element, item: Mapping[str, Any]) -> None:
    el = sub(parent, "item")
    sub(el, "id", item["id"])
    sub(el, "action", item["action"])
    if "state" in item:
        sub(el, "state", state_to_xml(item["state"]))
    for name in ("stateReason", "quantity"):
        if name in item:
            sub(el, name, item[name])
    entity = item.get("entity")
    if entity is not None:
        e = sub(el, "entity")
        if "id" in entity:
            sub(e, "id", entity["id"])
        spec = entity.get("specification")
        if spec is not None:
            s = sub(e, "specification")
            for name in ("id", "name"):
                if name in spec:
                    sub(s, name, spec[name])
        for name, value in (entity.get("characteristics") or {}).items():
            c = sub(e, "characteristic")
            sub(c, "name", name)
            sub(c, "value", value)
    for rel in item.get("relationships", []):
        r = sub(el, "relationship")
        sub(r, "type", rel["type"])
        sub(r, "itemId", rel["itemId"])
    if "pointOfNoReturn" in item:
        sub(el, "pointOfNoReturn", item["pointOfNoReturn"])


def order_element(parent: etree._Element | None, doc: Mapping[str, Any]) -> etree._Element:
    """``<{kind}Value>`` for a (possibly attribute-selected) canonical order document."""
    name = f"{doc['kind']}Value"
    el = etree.Element(q(name), nsmap={None: NS}) if parent is None else sub(parent, name)
    key_element(el, doc["kind"], doc["id"])
    for field in _SIMPLE_HEAD:
        if field not in doc:
            continue
        value = doc[field]
        if field == "state":
            value = state_to_xml(value)
        elif field == "priority":
            value = priority_to_xml(value)
        sub(el, field, value)
    for field in (*DATE_FIELDS, "cancellationReason"):
        if field in doc:
            sub(el, field, doc[field])
    _list(el, doc, "notes", "note", ("text", "author", "date"))
    _list(el, doc, "relatedParties", "relatedParty", ("id", "role", "name"))
    _list(el, doc, "relationships", "relationship", ("type", "orderId"))
    if "items" in doc:
        items = sub(el, "items")
        for item in doc["items"]:
            _item_element(items, item)
    return el


def _list(el: etree._Element, doc: Mapping[str, Any], wrapper: str, name: str, fields: Iterable[str]) -> None:
    if wrapper not in doc:
        return
    w = sub(el, wrapper)
    for entry in doc[wrapper]:
        e = sub(w, name)
        for f in fields:
            if f in entry:
                sub(e, f, entry[f])
