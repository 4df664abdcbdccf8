"""Canonical documents to request XML and reply XML back, for the AMQP driver.

Written apart from the gateway's own mapping, as a partner's XML client
would be, from the XSD: states become OSS/J strings, priorities OSS/J
integers, lists their wrapper elements, in the order the schema's sequences
want.  A field the vocabulary has no element for is still written (the
gateway refuses it, as it must).  Only what XML text cannot say at all -- a
number or a truth value where the schema declares text, an order kind
without an element, a list that is not one -- is refused here, as an XML
binding generated from the XSD refuses to build it: ``Unrepresentable``
carries the error kind the gateway gives for the same mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from core.document.fields import DATE_FIELDS
from core.domain.model import Priority
from core.domain.states import State

NS = "urn:ordergate:xml:om:v1"
NSMAP = {"om": NS}
KINDS = ("productOrder", "serviceOrder", "resourceOrder", "workOrder")
# the OrderValue sequence of the XSD, after the key
_HEAD = ("orderType", "externalId", "state", "stateReason", "version", "clientId", "priority")
_MIDDLE = ("description", "category", *DATE_FIELDS, "cancellationReason")
_LISTS = {
    "notes": ("note", ("text", "author", "date")),
    "relatedParties": ("relatedParty", ("id", "role", "name")),
    "relationships": ("relationship", ("type", "orderId")),
}
_INTEGERS = {"version", "quantity"}
_KNOWN = {"id", "kind", *_HEAD, *_MIDDLE, *_LISTS, "items"}


class Unrepresentable(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def sub(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    element = etree.SubElement(parent, q(name))
    if text is not None:
        element.text = text if isinstance(text, str) else str(text)
    return element


def request(operation: str) -> etree._Element:
    return etree.Element(q(f"{operation}Request"), nsmap={None: NS})


def _text(value: Any, name: str) -> str:
    """Text for an element; XML has no number or truth value where the XSD declares text."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Unrepresentable("illegalAttributeValue", f"{name}: not text")
    if isinstance(value, int) and name not in _INTEGERS:
        raise Unrepresentable("illegalAttributeValue", f"{name}: a number where the XSD declares text")
    return str(value)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise Unrepresentable("illegalAttributeValue", f"{name}: not a list")
    return value


def ossj_state(state: Any) -> str:
    """The OSS/J name of a canonical state; anything else goes as written, for the gateway to judge."""
    text = _text(state, "state")
    return State(text).ossj if text in State._value2member_map_ else text


def _priority(value: Any) -> str:
    """The OSS/J integer of a canonical priority name; anything else as written."""
    name = _text(value, "priority")
    return str(Priority[name.upper()].ossj) if name.upper() in Priority.__members__ else name


def key(parent: etree._Element, kind: str, order_id: Any, name: str = "key") -> None:
    element = sub(parent, name)
    sub(element, "type", kind)
    sub(element, "primaryKey", _text(order_id, "id"))


def _entity(parent: etree._Element, entity: Any) -> None:
    if not isinstance(entity, dict):
        raise Unrepresentable("illegalAttributeValue", "entity: not an object")
    element = sub(parent, "entity")
    if "id" in entity:
        sub(element, "id", _text(entity["id"], "entity.id"))
    if "specification" in entity:
        spec = sub(element, "specification")
        for name in ("id", "name"):
            if name in entity["specification"]:
                sub(spec, name, _text(entity["specification"][name], f"specification.{name}"))
    for name, value in (entity.get("characteristics") or {}).items():
        characteristic = sub(element, "characteristic")
        sub(characteristic, "name", name)
        sub(characteristic, "value", _text(value, name))


def _item(parent: etree._Element, item: Any) -> None:
    if not isinstance(item, dict):
        raise Unrepresentable("illegalAttributeValue", "items[]: not an object")
    element = sub(parent, "item")
    for name in ("id", "action"):
        if name in item:
            sub(element, name, _text(item[name], name))
    if "state" in item:
        sub(element, "state", ossj_state(item["state"]))
    for name in ("stateReason", "quantity"):
        if name in item:
            sub(element, name, _text(item[name], name))
    if "entity" in item:
        _entity(element, item["entity"])
    for relationship in _list(item.get("relationships", []), "relationships"):
        r = sub(element, "relationship")
        sub(r, "type", _text(relationship.get("type"), "type"))
        sub(r, "itemId", _text(relationship.get("itemId"), "itemId"))
    if "pointOfNoReturn" in item:
        ponr = item["pointOfNoReturn"]
        sub(element, "pointOfNoReturn", ("true" if ponr else "false") if isinstance(ponr, bool) else ponr)
    for name in sorted(
        set(item)
        - {"id", "action", "state", "stateReason", "quantity", "entity"}
        - {"relationships", "pointOfNoReturn"}
    ):
        sub(element, name, str(item[name]))  # no such element: the gateway says so


def order_value(parent: etree._Element, doc: Any, kind: str, order_id: Any = None) -> None:
    """``<{kind}Value>`` for a canonical (partial) order document."""
    if kind not in KINDS:
        raise Unrepresentable("illegalAttributeValue", f"the vocabulary has no order value of kind {kind!r}")
    if not isinstance(doc, dict):
        raise Unrepresentable("illegalArgument", "an order value is an object")
    element = sub(parent, f"{kind}Value")
    order_id = order_id if order_id is not None else doc.get("id")
    if order_id is not None:
        key(element, kind, order_id)
    for name in _HEAD:
        if name == "state" and name in doc:
            sub(element, name, ossj_state(doc[name]))
        elif name == "priority" and name in doc:
            sub(element, name, _priority(doc[name]))
        elif name in doc:
            sub(element, name, _text(doc[name], name))
    for name in _MIDDLE:
        if name in doc:
            sub(element, name, _text(doc[name], name))
    for wrapper, (entry, fields) in _LISTS.items():
        if wrapper in doc:
            w = sub(element, wrapper)
            for e in _list(doc[wrapper], wrapper):
                item = sub(w, entry)
                for f in fields:
                    if f in e:
                        sub(item, f, _text(e[f], f))
    if "items" in doc:
        items = sub(element, "items")
        for item in _list(doc["items"], "items"):
            _item(items, item)
    for name in sorted(set(doc) - _KNOWN):
        sub(element, name, str(doc[name]))  # no such element: the gateway says so


def names(parent: etree._Element, attributes: Iterable[str] | None) -> None:
    if attributes is not None:
        wrapper = sub(parent, "attributeNames")
        for name in attributes:
            sub(wrapper, "name", name)


# ------------------------------------------------------------------ replies back to canonical


def text(element: etree._Element | None, path: str) -> str | None:
    return None if element is None else element.findtext(path, namespaces=NSMAP)


def _canonical_state(ossj: str | None) -> str | None:
    return None if ossj is None else State.from_ossj(ossj).value


def _item_document(item: etree._Element) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": text(item, "om:id"), "action": text(item, "om:action")}
    if (state := text(item, "om:state")) is not None:
        doc["state"] = _canonical_state(state)
    if (reason := text(item, "om:stateReason")) is not None:
        doc["stateReason"] = reason
    if (quantity := text(item, "om:quantity")) is not None:
        doc["quantity"] = int(quantity)
    entity = item.find("om:entity", NSMAP)
    if entity is not None:
        e: dict[str, Any] = {}
        if (eid := text(entity, "om:id")) is not None:
            e["id"] = eid
        spec = entity.find("om:specification", NSMAP)
        if spec is not None:
            e["specification"] = {n: v for n in ("id", "name") if (v := text(spec, f"om:{n}")) is not None}
        characteristics = entity.findall("om:characteristic", NSMAP)
        if characteristics:
            e["characteristics"] = {text(c, "om:name"): text(c, "om:value") for c in characteristics}
        doc["entity"] = e
    relationships = item.findall("om:relationship", NSMAP)
    if relationships:
        doc["relationships"] = [
            {"type": text(r, "om:type"), "itemId": text(r, "om:itemId")} for r in relationships
        ]
    if (ponr := text(item, "om:pointOfNoReturn")) is not None:
        doc["pointOfNoReturn"] = ponr == "true"
    return doc


def document(value: etree._Element) -> dict[str, Any]:
    """The canonical document of an order value element (only the elements it carries)."""
    doc: dict[str, Any] = {}
    if value.find("om:key", NSMAP) is not None:
        doc["id"], doc["kind"] = text(value, "om:key/om:primaryKey"), text(value, "om:key/om:type")
    for name in (*_HEAD, *_MIDDLE):
        raw = text(value, f"om:{name}")
        if raw is None:
            continue
        if name == "state":
            doc[name] = _canonical_state(raw)
        elif name == "priority":
            doc[name] = Priority.from_ossj(int(raw)).name.lower()
        elif name == "version":
            doc[name] = int(raw)
        else:
            doc[name] = raw
    for wrapper, (entry, fields) in _LISTS.items():
        w = value.find(f"om:{wrapper}", NSMAP)
        if w is not None:
            doc[wrapper] = [
                {f: v for f in fields if (v := text(e, f"om:{f}")) is not None}
                for e in w.findall(f"om:{entry}", NSMAP)
            ]
    items = value.find("om:items", NSMAP)
    if items is not None:
        doc["items"] = [_item_document(i) for i in items.findall("om:item", NSMAP)]
    return doc


def values_in(parent: etree._Element | None) -> list[etree._Element]:
    """The order value elements directly under ``parent`` (whatever their kind)."""
    if parent is None:
        return []
    return [c for c in parent if etree.QName(c).localname.removesuffix("Value") in KINDS]


def exception_kind(detail_holder: etree._Element) -> str:
    """The error kind in an ``<op>Exception`` (or a result's ``exception``): its code, else its element."""
    detail = detail_holder[0]
    code = text(detail, "om:code")
    return code or etree.QName(detail).localname.removesuffix("Exception")


def outcomes(results: etree._Element | None) -> list[dict[str, Any]]:
    out = []
    for r in [] if results is None else results.findall("om:result", NSMAP):
        entry: dict[str, Any] = {
            "index": int(text(r, "om:index") or -1),
            "id": text(r, "om:key/om:primaryKey"),
        }
        exception = r.find("om:exception", NSMAP)
        found = values_in(r)
        if exception is not None:
            entry["error"] = exception_kind(exception)
        elif found:
            entry["order"] = document(found[0])
        out.append(entry)
    return out


def report(element: etree._Element | None) -> dict[str, Any]:
    def reasons(e: etree._Element) -> list[str]:
        return [r.text or "" for r in e.findall("om:reason", NSMAP)]

    assert element is not None
    return {
        "feasible": text(element, "om:feasible") == "true",
        "reasons": reasons(element),
        "items": [
            {
                "itemId": text(i, "om:itemId"),
                "feasible": text(i, "om:feasible") == "true",
                "reasons": reasons(i),
            }
            for i in element.findall("om:item", NSMAP)
        ],
    }


def history(response: etree._Element) -> list[dict[str, Any]]:
    return [
        {
            "fromState": _canonical_state(text(e, "om:fromState")),
            "toState": _canonical_state(text(e, "om:toState")),
            "itemId": text(e, "om:itemId"),
            "actor": text(e, "om:actor"),
            "reason": text(e, "om:reason"),
        }
        for e in response.findall("om:entry", NSMAP)
    ]


def event_type(element_name: str) -> str:
    """orderStateChangeEvent -> OrderStateChange: the canonical name of an event element."""
    name = element_name.removesuffix("Event")
    return name[:1].upper() + name[1:]


def event(root: etree._Element) -> dict[str, Any]:
    return {
        "eventId": text(root, "om:eventId"),
        "type": event_type(etree.QName(root).localname),
        "state": _canonical_state(text(root, "om:state")),
        "previousState": _canonical_state(text(root, "om:previousState")),
        "itemChanges": [
            {
                "itemId": text(c, "om:itemId"),
                "previousState": _canonical_state(text(c, "om:previousState")),
                "state": _canonical_state(text(c, "om:state")),
            }
            for c in root.findall("om:itemStateChange", NSMAP)
        ],
    }
