"""Canonical order documents to XML order values and back, for the AMQP driver.

Written apart from the gateway's own mapping, as a partner's XML client would
be: driven by the XSD the gateway serves, walked with xmlschema's component
model.  Every attribute of a canonical document is written as the element the
order value's type declares for it, in the type's order, whatever its level
(order, item, nested items, entity, specification, characteristic, party,
note, relationship, and every TMF type below them), and read back by the
element's declared type: ``xs:int`` an integer, ``xs:double`` a number,
``xs:boolean`` a truth value, a repeated element a list, a free JSON value
(``fn:*``) its JSON.  Only the typed attributes need words of their own: the
order's id is its ``key`` (with the kind), states are OSS/J strings,
priorities OSS/J integers, lists the vocabulary wraps (``notes``, ``items``
...) get their wrapper element and lists it repeats are named in the singular
(``characteristic``, ``relationship``).  TMF's ``@type`` and its kin are XML
attributes; an attribute the object's type has no element for goes in its
``extension`` map, for the gateway to judge.

Only what XML cannot say as the XSD types it -- a number or an object where
the schema declares text, text where it declares a number, a single value
where it repeats an element -- is refused here, as an XML binding generated
from the XSD refuses to build it: ``Unrepresentable`` carries the error kind
the gateway gives for the same mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import xmlschema
from lxml import etree

from core.domain.model import Priority
from core.domain.states import State
from tests.conformance.drivers.amqp_replies import NS, NSMAP, canonical_state, exception_kind, text
from tests.conformance.drivers.json_as_xml import (
    FN,
    NotJson,
    append_json,
    json_inside,
    number_text,
    number_value,
)

# a canonical list -> the vocabulary's repeated element, named in the singular
_SINGULAR = {"characteristics": "characteristic", "relationships": "relationship"}
_PLURAL = {v: k for k, v in _SINGULAR.items()}
_STATES = ("OrderState", "ItemState")
Component = Any  # an xmlschema component (element or type)


class Unrepresentable(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _refuse(where: str, what: str) -> Unrepresentable:
    return Unrepresentable("illegalAttributeValue", f"{where}: {what}")


def q(name: str) -> str:
    return f"{{{NS}}}{name}"


def sub(parent: etree._Element, name: str, text: object = None) -> etree._Element:
    element = etree.SubElement(parent, q(name))
    if text is not None:
        element.text = text if isinstance(text, str) else str(text)
    return element


def request(operation: str) -> etree._Element:
    return etree.Element(q(f"{operation}Request"), nsmap={None: NS, "fn": FN})


def ossj_state(state: Any) -> str:
    """The OSS/J name of a canonical state; any other text as written, for the gateway to judge."""
    if not isinstance(state, str):
        raise _refuse("state", "not text")
    return State(state).ossj if state in State._value2member_map_ else state


def key(parent: etree._Element, kind: str, order_id: Any, name: str = "key") -> None:
    if not isinstance(order_id, str):
        raise _refuse("id", "not text")
    element = sub(parent, name)
    sub(element, "type", kind)
    sub(element, "primaryKey", order_id)


def names(parent: etree._Element, attributes: Iterable[str] | None) -> None:
    if attributes is not None:
        wrapper = sub(parent, "attributeNames")
        for name in attributes:
            sub(wrapper, "name", name)


# ------------------------------------------------------------------ the XSD's types


def _primitive(t: Component) -> str:
    simple = t if t.is_simple() else t.content
    return str(simple.primitive_type.local_name)


def _holds_json(t: Component) -> bool:
    """A free JSON value or an extension map: content the JSON-as-XML elements only."""
    if t.is_simple() or t.has_simple_content():
        return False
    inner = list(t.content.iter_elements())
    return bool(inner) and all(e.name.startswith(f"{{{FN}}}") for e in inner)


def _wrapped(t: Component) -> Component | None:
    """The repeated element of a list wrapper type (``notes`` -> ``note``), else None."""
    if t.is_simple() or t.has_simple_content() or _holds_json(t) or len(t.attributes):
        return None
    inner = list(t.content.iter_elements())
    return inner[0] if len(inner) == 1 and inner[0].max_occurs is None else None


def _repeated(e: Component) -> bool:
    return e.max_occurs is None or e.max_occurs > 1


def _canonical_name(e: Component, doc: dict[str, Any]) -> str | None:
    """The attribute of ``doc`` an element carries: its own name, or the plural of a repeated one."""
    if e.local_name in doc:
        return str(e.local_name)
    plural = _PLURAL.get(e.local_name)
    return plural if plural in doc and _repeated(e) else None


class XmlValues:
    """Order values of one served XSD: canonical documents written as elements and read back."""

    def __init__(self, schema: xmlschema.XMLSchema) -> None:
        self.schema = schema
        group = schema.groups["AnyOrderValue"]
        self.value_types = {e.local_name: e.type for e in group.iter_elements()}  # serviceOrderValue -> type
        self.kinds = tuple(name.removesuffix("Value") for name in self.value_types)

    # -------------------------------------------------------------- canonical -> XML

    def order_value(self, parent: etree._Element, doc: Any, kind: Any, order_id: Any = None) -> None:
        """``<{kind}Value>`` for a canonical (partial) order document."""
        if kind not in self.kinds:
            raise _refuse("kind", f"the vocabulary has no order value of kind {kind!r}")
        if not isinstance(doc, dict):
            raise Unrepresentable("illegalArgument", "an order value is an object")
        element = sub(parent, f"{kind}Value")
        order_id = order_id if order_id is not None else doc.get("id")
        if order_id is not None:
            key(element, kind, order_id)
        rest = {k: v for k, v in doc.items() if k not in ("id", "kind")}
        self._fill(element, self.value_types[f"{kind}Value"], rest, kind, skip=frozenset({"key"}))

    def child(self, root: etree._Element, name: str, value: Any) -> None:
        """``<name>`` under a request element, as the request's declaration types it (a milestone ...)."""
        declared = self.schema.elements[etree.QName(root).localname].type.content.iter_elements()
        element = next(e for e in declared if e.local_name == name)
        self._write(root, element, value, name)

    def _fill(
        self, el: etree._Element, t: Component, doc: Any, where: str, skip: frozenset[str] = frozenset()
    ) -> None:
        """The attributes and children of an object element, in the order its type declares them."""
        if not isinstance(doc, dict):
            raise _refuse(where, "not an object")
        placed = self._attributes(el, t, doc, where)
        children = [c for c in t.content.iter_elements() if c.local_name not in skip]
        elements = {c.local_name: k for c in children if (k := _canonical_name(c, doc)) is not None}
        extra = {k: v for k, v in doc.items() if k not in placed and k not in elements.values()}
        for child in children:
            name = child.local_name
            if name == "extension" and _holds_json(child.type):
                if extra:
                    self._json(sub(el, "extension"), extra, f"{where}.extension")
                    extra = {}
            elif name in elements:
                self._write(el, child, doc[elements[name]], f"{where}.{elements[name]}")
        for name, value in extra.items():  # no element and no extension: the gateway says so
            sub(el, name.lstrip("@"), str(value))

    @staticmethod
    def _attributes(el: etree._Element, t: Component, doc: dict[str, Any], where: str) -> set[str]:
        placed = set()
        for name, value in doc.items():
            if name.startswith("@") and name[1:] in t.attributes:
                if not isinstance(value, str):
                    raise _refuse(f"{where}.{name}", "an XML attribute is text")
                el.set(name[1:], value)
                placed.add(name)
        return placed

    def _write(self, parent: etree._Element, e: Component, value: Any, where: str) -> None:
        if value is None and not _holds_json(e.type):
            return  # XML has no null for a typed element: it is left out (a JSON value is fn:null)
        wrapped = _wrapped(e.type)
        if _repeated(e) or wrapped is not None:
            if not isinstance(value, list):
                raise _refuse(where, "not a list")
            holder = parent if wrapped is None else sub(parent, e.local_name)
            for i, entry in enumerate(value):
                self._one(holder, wrapped if wrapped is not None else e, entry, f"{where}[{i}]")
        else:
            self._one(parent, e, value, where)

    def _one(self, parent: etree._Element, e: Component, value: Any, where: str) -> None:
        el = sub(parent, e.local_name)
        t = e.type
        if t.is_simple() or t.has_simple_content():
            el.text = self._lexical(t, value, where)
        elif _holds_json(t):
            if e.local_name == "extension" and not isinstance(value, dict):
                raise _refuse(where, "not an object")
            self._json(el, value, where)
        else:
            self._fill(el, t, value, where)

    @staticmethod
    def _json(el: etree._Element, value: Any, where: str) -> None:
        try:
            append_json(el, value)
        except NotJson as e:
            raise _refuse(where, str(e)) from None

    @staticmethod
    def _lexical(t: Component, value: Any, where: str) -> str:
        """The text of a simple element; a JSON value of another type than the XSD's is refused."""
        name, primitive = t.local_name, _primitive(t)
        if name in _STATES:
            return ossj_state(value)
        if name == "Priority" and isinstance(value, str) and value.upper() in Priority.__members__:
            return str(Priority[value.upper()].ossj)
        if name == "Priority" and isinstance(value, str):
            return value  # no such priority: the gateway says so
        if primitive == "boolean" and isinstance(value, bool):
            return "true" if value else "false"
        if primitive == "decimal" and isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if (
            primitive in ("double", "float")
            and isinstance(value, int | float)
            and not isinstance(value, bool)
        ):
            try:
                return number_text(value)
            except NotJson as e:
                raise _refuse(where, str(e)) from None
        if primitive not in ("boolean", "decimal", "double", "float") and isinstance(value, str):
            return value
        raise _refuse(where, f"a {type(value).__name__} where the XSD declares {t.local_name or primitive}")

    # -------------------------------------------------------------- XML -> canonical

    def document(self, value: etree._Element) -> dict[str, Any]:
        """The canonical document of an order value element (only what it carries)."""
        doc: dict[str, Any] = {}
        key_el = value.find("om:key", NSMAP)
        if key_el is not None:
            doc["id"], doc["kind"] = text(key_el, "om:primaryKey"), text(key_el, "om:type")
        t = self.value_types[etree.QName(value).localname]
        doc.update(self._read(value, t, skip=frozenset({"key"})))
        return doc

    def _read(self, el: etree._Element, t: Component, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        out: dict[str, Any] = {f"@{k}": v for k, v in el.attrib.items() if k in t.attributes}
        declared = {e.local_name: e for e in t.content.iter_elements()}
        for child in el:
            if not isinstance(child.tag, str) or etree.QName(child).namespace != NS:
                continue
            name = etree.QName(child).localname
            if name in skip:
                continue
            e = declared[name]
            if name == "extension" and _holds_json(e.type):
                extra = json_inside(child)
                out.update(extra if isinstance(extra, dict) else {})
            elif _repeated(e):
                out.setdefault(_PLURAL.get(name, name), []).append(self._value(child, e.type))
            else:
                out[name] = self._value(child, e.type)
        return out

    def _value(self, el: etree._Element, t: Component) -> Any:
        if t.is_simple() or t.has_simple_content():
            return _typed(el.text or "", t)
        if _holds_json(t):
            return json_inside(el)
        wrapped = _wrapped(t)
        if wrapped is not None:
            return [self._value(c, wrapped.type) for c in el if isinstance(c.tag, str)]
        return self._read(el, t)

    def values_in(self, parent: etree._Element | None) -> list[etree._Element]:
        """The order value elements directly under ``parent`` (whatever their kind)."""
        return [] if parent is None else [c for c in parent if etree.QName(c).localname in self.value_types]

    def outcomes(self, results: etree._Element | None) -> list[dict[str, Any]]:
        out = []
        for r in [] if results is None else results.findall("om:result", NSMAP):
            entry: dict[str, Any] = {
                "index": int(text(r, "om:index") or -1),
                "id": text(r, "om:key/om:primaryKey"),
            }
            exception = r.find("om:exception", NSMAP)
            found = self.values_in(r)
            if exception is not None:
                entry["error"] = exception_kind(exception)
            elif found:
                entry["order"] = self.document(found[0])
            out.append(entry)
        return out


def _typed(raw: str, t: Component) -> Any:
    """A simple element's text as the JSON value its XSD type says."""
    name, primitive = t.local_name, _primitive(t)
    if name in _STATES:
        return canonical_state(raw)
    if name == "Priority":
        return Priority.from_ossj(int(raw)).name.lower()
    if primitive == "decimal":
        return int(raw.strip())
    if primitive in ("double", "float"):
        return number_value(raw)
    if primitive == "boolean":
        return raw.strip() in ("true", "1")
    return raw
