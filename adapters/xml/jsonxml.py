"""JSON values <-> the W3C XPath 3.1 JSON-as-XML form (``xpath-functions.xsd``).

A map is ``fn:map`` whose children name their key in ``@key``, an array
``fn:array``, and the scalars ``fn:string``, ``fn:number``, ``fn:boolean``,
``fn:null``.  Written as text (the codec builds messages as text); read from
lxml elements.  A string read with ``escaped="true"`` (or a key with
``escaped-key="true"``) has its JSON escapes decoded, as ``fn:xml-to-json`` does.
"""

from __future__ import annotations

import json
import math
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

FN = "http://www.w3.org/2005/xpath-functions"
_FN = f"{{{FN}}}"
DECLARE = f' xmlns:fn="{FN}"'
_ESCAPES = {"\r": "&#13;"}


def _number(value: int | float) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("JSON has no infinite or undefined numbers")
        return repr(value).replace("e+", "e")
    return str(value)


def json_xml(out: list[str], value: Any, key: str | None = None) -> None:
    """Append the JSON-as-XML element of ``value`` (with ``key`` inside a map)."""
    attr = "" if key is None else f" key={quoteattr(key, _ESCAPES)}"
    if isinstance(value, str):
        out.append(f"<fn:string{attr}>{escape(value, _ESCAPES)}</fn:string>")
    elif isinstance(value, bool):
        out.append(f"<fn:boolean{attr}>{'true' if value else 'false'}</fn:boolean>")
    elif isinstance(value, int | float):
        out.append(f"<fn:number{attr}>{_number(value)}</fn:number>")
    elif value is None:
        out.append(f"<fn:null{attr}/>")
    elif isinstance(value, dict):
        out.append(f"<fn:map{attr}>")
        for k, v in value.items():
            json_xml(out, v, k)
        out.append("</fn:map>")
    elif isinstance(value, list):
        out.append(f"<fn:array{attr}>")
        for v in value:
            json_xml(out, v)
        out.append("</fn:array>")
    else:
        raise ValueError(f"not a JSON value: {type(value).__name__}")


def _unescaped(text: str) -> str:
    decoded: str = json.loads('"' + text.replace('"', '\\"') + '"')
    return decoded


def _text(el: etree._Element, flag: str = "escaped") -> str:
    text = el.text or ""
    return _unescaped(text) if el.get(flag) in ("true", "1") else text


def json_value(el: etree._Element) -> Any:
    """The JSON value of one JSON-as-XML element (schema-valid)."""
    name = el.tag[len(_FN) :] if isinstance(el.tag, str) and el.tag.startswith(_FN) else ""
    if name == "string":
        return _text(el)
    if name == "number":
        raw = (el.text or "").strip()
        return int(raw) if raw.lstrip("-").isdigit() else float(raw)
    if name == "boolean":
        return (el.text or "").strip() in ("true", "1")
    if name == "null":
        return None
    if name == "array":
        return [json_value(c) for c in el if isinstance(c.tag, str)]
    if name == "map":
        out: dict[str, Any] = {}
        for c in el:
            if isinstance(c.tag, str):
                key = c.get("key", "")
                out[_unescaped(key) if c.get("escaped-key") in ("true", "1") else key] = json_value(c)
        return out
    raise ValueError(f"{el.tag} is not a JSON-as-XML element")


def first_json(el: etree._Element) -> etree._Element | None:
    """The JSON-as-XML element inside ``el``, if any."""
    for child in el:
        if isinstance(child.tag, str) and child.tag.startswith(_FN):
            return child
    return None
