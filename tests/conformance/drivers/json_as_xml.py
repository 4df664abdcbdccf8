"""JSON values <-> the W3C XPath 3.1 JSON-as-XML form, as an XML partner writes and reads it.

The form is a standard of its own (``fn:json-to-xml``): an object is
``fn:map`` whose children name their key in ``key``, an array ``fn:array``,
the scalars ``fn:string``, ``fn:number``, ``fn:boolean`` and ``fn:null``.
Written here from the standard, not from the gateway's code, so that the
conformance suite would notice the gateway drifting from it.  A string or key
marked ``escaped="true"`` holds JSON escapes, decoded as ``fn:xml-to-json``
does.  Numbers read back as JSON reads them: an integer when the text has no
fraction or exponent.
"""

from __future__ import annotations

import json
import math
from typing import Any

from lxml import etree

FN = "http://www.w3.org/2005/xpath-functions"
_TRUE = ("true", "1")


class NotJson(ValueError):
    """A value JSON has no form for (an infinite number, a set ...): no JSON-as-XML either."""


def _tag(name: str) -> str:
    return f"{{{FN}}}{name}"


def number_text(value: int | float) -> str:
    """The lexical form of a JSON number (``xs:double`` minus INF and NaN)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotJson(f"{value} is no JSON number")
        return repr(value)
    return str(value)


def number_value(text: str) -> int | float:
    """A number's text as JSON reads it: ``20`` an integer, ``0.99`` or ``1e3`` a float."""
    raw = text.strip()
    return int(raw) if raw.lstrip("-").isdigit() else float(raw)


def append_json(parent: etree._Element, value: Any, key: str | None = None) -> etree._Element:
    """Append the JSON-as-XML element of ``value`` to ``parent`` (``key``: its key in a map)."""
    if isinstance(value, bool):
        el = etree.SubElement(parent, _tag("boolean"))
        el.text = "true" if value else "false"
    elif isinstance(value, int | float):
        el = etree.SubElement(parent, _tag("number"))
        el.text = number_text(value)
    elif isinstance(value, str):
        el = etree.SubElement(parent, _tag("string"))
        el.text = value
    elif value is None:
        el = etree.SubElement(parent, _tag("null"))
    elif isinstance(value, dict):
        el = etree.SubElement(parent, _tag("map"))
        for k, v in value.items():
            append_json(el, v, str(k))
    elif isinstance(value, list):
        el = etree.SubElement(parent, _tag("array"))
        for v in value:
            append_json(el, v)
    else:
        raise NotJson(f"{type(value).__name__} is no JSON value")
    if key is not None:
        el.set("key", key)
    return el


def _unescaped(text: str, escaped: str | None) -> str:
    if escaped not in _TRUE:
        return text
    decoded: str = json.loads('"' + text.replace('"', '\\"') + '"')
    return decoded


def json_of(el: etree._Element) -> Any:
    """The JSON value of one JSON-as-XML element."""
    name = etree.QName(el).localname
    if name == "string":
        return _unescaped(el.text or "", el.get("escaped"))
    if name == "number":
        return number_value(el.text or "")
    if name == "boolean":
        return (el.text or "").strip() in _TRUE
    if name == "null":
        return None
    if name == "array":
        return [json_of(c) for c in el if isinstance(c.tag, str)]
    if name == "map":
        return {
            _unescaped(c.get("key", ""), c.get("escaped-key")): json_of(c)
            for c in el
            if isinstance(c.tag, str)
        }
    raise NotJson(f"{el.tag} is no JSON-as-XML element")


def json_inside(holder: etree._Element) -> Any:
    """The JSON value an element holds: its one JSON-as-XML child, else its text (a string)."""
    inner = next((c for c in holder if isinstance(c.tag, str) and c.tag.startswith(f"{{{FN}}}")), None)
    return holder.text or "" if inner is None else json_of(inner)
