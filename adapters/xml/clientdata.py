"""Client data <-> its typed XML elements, along the types of ``adapters.xml.model``.

Writing: after an object's typed elements, every client-data attribute the
type knows is written as its element (in the type's order), the ones it does
not know (an extended object's) in ``extension`` as a JSON map; ``@type`` and
its kin go into the start tag as attributes.  Reading is the inverse, for an
element the schema has validated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from adapters.xml.jsonxml import DECLARE, first_json, json_value, json_xml
from adapters.xml.model import (
    ATTRIBUTES,
    BOOLEAN,
    DATE,
    INTEGER,
    JSON,
    NUMBER,
    Enumeration,
    Field,
    ObjectType,
)
from adapters.xml.schema import NS

_OWN = f"{{{NS}}}"
_BY_XML = {xml: name for name, xml in ATTRIBUTES.items()}
_ESCAPES = {"\r": "&#13;"}


def attributes(doc: Mapping[str, Any]) -> str:
    """The polymorphic attributes of an object, for its start tag (`` type="…"``)."""
    out = ""
    for name, xml in ATTRIBUTES.items():
        value = doc.get(name)
        if value is not None:
            out += f" {xml}={quoteattr(str(value), _ESCAPES)}"
    return out


def _leaf(out: list[str], name: str, kind: str, value: Any) -> None:
    if kind == JSON:
        write_json_element(out, name, value)
        return
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = repr(value).replace("e+", "e")
    else:
        text = escape(str(value), _ESCAPES)
    out.append(f"<{name}>{text}</{name}>")


def write_json_element(out: list[str], name: str, value: Any) -> None:
    """``<name>`` holding a free JSON value as JSON-as-XML (a string too: every toolkit reads an
    element, not every one reads the text of a mixed element)."""
    out.append(f"<{name}{DECLARE}>")
    json_xml(out, value)
    out.append(f"</{name}>")


def _field(out: list[str], f: Field, value: Any) -> None:
    for v in value if f.many and isinstance(value, list) else [value]:
        if isinstance(f.type, ObjectType) and isinstance(v, Mapping):
            out.append(f"<{f.name}{attributes(v)}>")
            client_data(out, v, f.type)
            out.append(f"</{f.name}>")
        else:
            _leaf(out, f.name, "xs:string" if isinstance(f.type, Enumeration) else str(f.type), v)


def client_data(out: list[str], doc: Mapping[str, Any], obj: ObjectType, typed: frozenset[str] = frozenset()) -> None:
    """Append the client-data elements of ``doc`` (its attributes other than ``typed``)."""
    for name, f in obj.fields.items():
        if name in doc and name not in typed:
            _field(out, f, doc[name])
    extra = {k: v for k, v in doc.items() if k not in obj.fields and k not in typed and k[:1] != "@"}
    if extra:
        write_json_element(out, "extension", extra)


def _read_leaf(el: etree._Element, kind: str) -> Any:
    text = el.text or ""
    if kind == INTEGER:
        return int(text.strip())
    if kind == NUMBER:
        raw = text.strip()
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if kind == BOOLEAN:
        return text.strip() in ("true", "1")
    if kind == JSON:
        return read_json_element(el)
    return text if kind != DATE else text.strip()


def read_json_element(el: etree._Element) -> Any:
    inner = first_json(el)
    return el.text or "" if inner is None else json_value(inner)


def read_attributes(el: etree._Element, into: dict[str, Any]) -> None:
    for xml, value in el.attrib.items():
        name = _BY_XML.get(str(xml))
        if name is not None:
            into[name] = value


def read_object(el: etree._Element, obj: ObjectType, typed: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The client data of a validated element (its typed children are left to the caller)."""
    out: dict[str, Any] = {}
    read_attributes(el, out)
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_OWN):
            continue
        name = tag[len(_OWN) :]
        if name in typed:
            continue
        if name == "extension":
            extra = read_json_element(child)
            if isinstance(extra, dict):
                out.update(extra)
            continue
        f = obj.fields[name]
        if isinstance(f.type, ObjectType):
            value: Any = read_object(child, f.type)
        else:
            value = _read_leaf(child, "xs:string" if isinstance(f.type, Enumeration) else str(f.type))
        if f.many:
            out.setdefault(name, []).append(value)
        else:
            out[name] = value
    return out
