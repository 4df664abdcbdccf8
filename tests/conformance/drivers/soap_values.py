"""Canonical documents to zeep arguments and zeep results back, for the SOAP driver.

This is what any typed SOAP client does with the WSDL's types: a generic
converter driven by zeep's own type objects, built from the WSDL the gateway
serves.  Every attribute of a canonical document goes to the element its
zeep type declares for it, at every level (order, items and nested items,
entity, specification, characteristics, parties, notes, relationships and
every TMF type below them), and comes back by the element's type.  The typed
attributes alone need words of their own: the order's id is its ``key``,
states are OSS/J strings, priorities OSS/J integers, wrapped lists get their
wrapper (``items: {item: [...]}``) and repeated elements are named in the
singular (``characteristic``, ``relationship``).  TMF's ``@type`` and kin are
the types' XML attributes (zeep calls one ``attr__type`` where an element
already has the name); a free JSON value is the W3C JSON-as-XML choice zeep
reads from the schema (``map``/``array``, whose entries are a repeated choice
in ``_value_1``, and ``string``/``number``/``boolean``/``null``, whose text
is ``_value_1``, a map entry naming its ``key``).  An attribute the type has
no element for goes in its ``extension`` map, for the gateway to judge.

A canonical value the WSDL's types cannot carry -- an order kind it has no
element for, a number where it declares a string, a list where it declares
one value -- is refused here, before anything is sent, as a typed client
refuses to build it: ``Unrepresentable`` carries the error kind the gateway
gives for the same mistake inside an envelope.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import zeep
from zeep.xsd import AnySimpleType, ComplexType
from zeep.xsd.types import builtins

from core.domain.model import Priority
from core.domain.states import State

NS = "urn:ordergate:xml:om:v1"
FN = "http://www.w3.org/2005/xpath-functions"
_PLURAL = {"characteristic": "characteristics", "relationship": "relationships"}
_STATES = ("OrderState", "ItemState")
_NUMBERS = (builtins.Decimal, builtins.Double, builtins.Float)
_JSON_NAMES = {str: "string", bool: "boolean", type(None): "null", dict: "map", list: "array"}


class Unrepresentable(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _refuse(where: str, what: str) -> Unrepresentable:
    return Unrepresentable("illegalAttributeValue", f"{where}: {what}")


def key(kind: str, order_id: Any) -> dict[str, str]:
    if not isinstance(order_id, str):
        raise _refuse("id", "the WSDL declares a string")
    return {"type": kind, "primaryKey": order_id}


def ossj_state(state: Any) -> str:
    """The OSS/J name of a canonical state; any other text as written, for the gateway to judge."""
    if not isinstance(state, str):
        raise _refuse("state", "the WSDL declares a string")
    return State(state).ossj if state in State._value2member_map_ else state


def _name(t: Any) -> str:
    qname = getattr(t, "qname", None)
    return "" if qname is None else str(qname.localname)


def _holds_json(t: Any) -> bool:
    """A free JSON value or an extension map: its elements the JSON-as-XML ones only."""
    if not isinstance(t, ComplexType) or not t.elements:
        return False
    return all(e.qname is not None and e.qname.namespace == FN for _, e in t.elements)


def _wrapped(t: Any) -> tuple[str, Any] | None:
    """(name, element) of a list wrapper type's one repeated element (``items`` -> ``item``)."""
    if not isinstance(t, ComplexType) or _holds_json(t) or t.attributes or len(t.elements) != 1:
        return None
    name, element = t.elements[0]
    return (name, element) if element.max_occurs == "unbounded" else None


def _repeated(element: Any) -> bool:
    return bool(element.accepts_multiple)


def _plain(value: Any) -> Any:
    """A zeep leaf as JSON: a date-time as ISO 8601 (UTC with ``Z``), a whole double as an integer
    (JSON does not tell them apart; below 2**53, where a double holds every integer exactly)."""
    if isinstance(value, datetime):
        utc = value.astimezone(UTC) if value.tzinfo else value
        return utc.isoformat().replace("+00:00", "Z")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


class ZeepValues:
    """Order values of one WSDL, as zeep's types declare them."""

    def __init__(self, client: zeep.Client) -> None:
        self.client = client
        group = client.wsdl.types.get_group(f"{{{NS}}}AnyOrderValue")
        self.value_types = {name: element.type for name, element in group.child.elements}
        self.kinds = tuple(name.removesuffix("Value") for name in self.value_types)

    # -------------------------------------------------------------- canonical -> zeep

    def order_value(self, doc: Any, kind: Any, order_id: Any = None) -> dict[str, Any]:
        """``{"<kind>Value": {...}}`` for a canonical (partial) order document."""
        if kind not in self.kinds:
            raise _refuse("kind", f"the WSDL has no order value of kind {kind!r}")
        if not isinstance(doc, dict):
            raise Unrepresentable("illegalArgument", "an order value is an object")
        element = f"{kind}Value"
        order_id = order_id if order_id is not None else doc.get("id")
        rest = {k: v for k, v in doc.items() if k not in ("id", "kind")}
        out = self._object(self.value_types[element], rest, kind)
        if order_id is not None:
            out["key"] = key(kind, order_id)
        return {element: out}

    def child(self, operation: str, name: str, value: Any) -> Any:
        """A request's argument ``name`` as the request element declares it (a milestone ...)."""
        request = self.client.get_element(f"{{{NS}}}{operation}Request")
        return self._element(dict(request.type.elements)[name], value, name)

    def _object(self, t: Any, doc: Any, where: str) -> dict[str, Any]:
        if not isinstance(doc, dict):
            raise _refuse(where, "the WSDL declares an object")
        out: dict[str, Any] = {}
        placed = set()
        for zeep_name, attribute in t.attributes:
            if f"@{attribute.name}" in doc:
                out[zeep_name] = self._simple(attribute.type, doc[f"@{attribute.name}"], where)
                placed.add(f"@{attribute.name}")
        for name, element in t.elements:
            canonical = name if name in doc else (_PLURAL.get(name) if _repeated(element) else None)
            if canonical in doc and canonical not in placed and name != "extension":
                if (value := self._element(element, doc[canonical], f"{where}.{canonical}")) is not None:
                    out[name] = value
                placed.add(canonical)
        extra = {k: v for k, v in doc.items() if k not in placed}
        if extra:
            if "extension" not in dict(t.elements):
                raise Unrepresentable("illegalArgument", f"{where}: no element for {sorted(extra)}")
            out["extension"] = self._json_holder(dict(t.elements)["extension"].type, extra, where)
        return out

    def _element(self, element: Any, value: Any, where: str) -> Any:
        if value is None and not _holds_json(element.type):
            return None  # XML has no null for a typed element: it is left out (a JSON value is fn:null)
        wrapped = _wrapped(element.type)
        if wrapped is not None or _repeated(element):
            if not isinstance(value, list):
                raise _refuse(where, "the WSDL declares a list")
            inner = wrapped[1] if wrapped else element
            entries = [self._one(inner.type, v, f"{where}[{i}]") for i, v in enumerate(value)]
            return {wrapped[0]: entries} if wrapped else entries
        return self._one(element.type, value, where)

    def _one(self, t: Any, value: Any, where: str) -> Any:
        if isinstance(t, AnySimpleType):
            return self._simple(t, value, where)
        if _holds_json(t):
            return self._json_holder(t, value, where)
        return self._object(t, value, where)

    @staticmethod
    def _simple(t: Any, value: Any, where: str) -> Any:
        """A leaf as the type's Python value; a JSON value of another type is refused."""
        if _name(t) in _STATES:
            return ossj_state(value)
        if _name(t) == "Priority":
            name = value if isinstance(value, str) else ""
            if name.upper() not in Priority.__members__:
                raise _refuse(where, f"no OSS/J priority for {value!r}")
            return Priority[name.upper()].ossj
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if isinstance(t, builtins.Boolean) and isinstance(value, bool):
            return value
        if isinstance(t, builtins.Integer) and numeric and isinstance(value, int):
            return value
        if isinstance(t, _NUMBERS) and not isinstance(t, builtins.Integer) and numeric:
            if isinstance(value, float) and not math.isfinite(value):
                raise _refuse(where, "JSON has no such number")
            return value
        if not isinstance(t, (builtins.Boolean, *_NUMBERS)) and isinstance(value, str):
            return value  # text, a date-time in its own lexical form, an enumeration's value
        raise _refuse(
            where, f"a {type(value).__name__} where the WSDL declares {_name(t) or type(t).__name__}"
        )

    def _json_holder(self, t: Any, value: Any, where: str) -> dict[str, Any]:
        """A JSON-as-XML holder (a characteristic's value, an extension): its one chosen element."""
        members = dict(t.elements)
        name = _json_name(value, where)
        if name not in members:
            raise _refuse(where, f"the WSDL holds no JSON {name} here")
        return {name: self._json_member(members[name].type, value, where)}

    def _json_member(self, t: Any, value: Any, where: str, entry_key: str | None = None) -> Any:
        """One JSON-as-XML element's value, built by its zeep type (zeep renders a map's ``null``
        entry, an extension of an empty type, only from its type object, not from a dict)."""
        out: dict[str, Any] = {} if entry_key is None else {"key": entry_key}
        if isinstance(value, dict | list):
            members = dict(t.elements)
            entries = value.items() if isinstance(value, dict) else ((None, v) for v in value)
            out["_value_1"] = [
                {(n := _json_name(v, where)): self._json_member(members[n].type, v, where, k)}
                for k, v in entries
            ]
        elif value is not None:
            out["_value_1"] = value
        return t(**out)

    # -------------------------------------------------------------- zeep -> canonical

    def document(self, value: Any) -> dict[str, Any]:
        """The canonical document of a zeep order value (only the elements it carries)."""
        doc: dict[str, Any] = {}
        if value.key is not None:
            doc["id"], doc["kind"] = value.key.primaryKey, value.key.type
        doc.update(self._read(value, value._xsd_type, skip=frozenset({"key"})))
        return doc

    def _read(self, obj: Any, t: Any, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for zeep_name, attribute in t.attributes:
            if obj[zeep_name] is not None:
                out[f"@{attribute.name}"] = obj[zeep_name]
        for name, element in t.elements:
            got = obj[name]
            if name in skip or got is None or (isinstance(got, list) and not got):
                continue
            if name == "extension" and _holds_json(element.type):
                extra = _json_of(got)
                out.update(extra if isinstance(extra, dict) else {})
            elif _repeated(element):
                out[_PLURAL.get(name, name)] = [self._value(element.type, g) for g in got]
            else:
                out[name] = self._value(element.type, got)
        return out

    def _value(self, t: Any, got: Any) -> Any:
        if isinstance(t, AnySimpleType):
            if _name(t) in _STATES:
                return State.from_ossj(got).value
            if _name(t) == "Priority":
                return Priority.from_ossj(got).name.lower()
            return _plain(got)
        if _holds_json(t):
            return _json_of(got)
        wrapped = _wrapped(t)
        if wrapped is not None:
            return [self._value(wrapped[1].type, g) for g in got[wrapped[0]] or []]
        return self._read(got, t)

    def chosen(self, entry: Any) -> Any:
        """The one order value of an AnyOrderValue choice (whichever kind it is)."""
        return next(entry[name] for name in self.value_types if entry[name] is not None)


def _json_name(value: Any, where: str) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            raise _refuse(where, "JSON has no such number")
        return "number"
    name = _JSON_NAMES.get(type(value))
    if name is None:
        raise _refuse(where, f"{type(value).__name__} is no JSON value")
    return name


def _json_of(holder: Any) -> Any:
    """The JSON value of a zeep JSON-as-XML holder: its one chosen member.

    zeep reads a holder whose chosen element is empty (``fn:null``, an empty ``fn:map`` or
    ``fn:array``) as no choice at all, so those three come back alike: as null here."""
    for name in ("map", "array", "string", "number", "boolean", "null"):
        member = dict(holder.__values__).get(name)
        if member is not None:
            return _json_member_of(name, member)
    return None


def _json_member_of(name: str, member: Any) -> Any:
    if name in ("map", "array"):
        entries = [
            next((n, v) for n, v in dict(e).items() if v is not None) for e in member["_value_1"] or []
        ]
        if name == "array":
            return [_json_member_of(n, v) for n, v in entries]
        return {_unescaped(v["key"], v["escaped-key"]): _json_member_of(n, v) for n, v in entries}
    if name == "null":
        return None
    text = member["_value_1"]
    if name == "string":
        return _unescaped(text or "", member["escaped"])
    return _plain(text)


def _unescaped(text: str, escaped: Any) -> str:
    if escaped not in (True, "true", "1"):
        return text
    decoded: str = json.loads('"' + text.replace('"', '\\"') + '"')
    return decoded


def value_list(values: Any) -> list[Any]:
    """The entries of an OrderValueList, however zeep unwrapped it."""
    if values is None:
        return []
    return list(values) if isinstance(values, list) else list(values["_value_1"] or [])
