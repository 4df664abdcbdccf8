"""The XML form of every order kind's client data, derived from its canonical schema.

Client data (``core.document.schema``) gets typed elements wherever the
official definitions type it: an object becomes an element of a named
complex type (``TMF622.BillingAccountRef``), a list a repeated element, a
date-time ``xs:dateTime``, an enumeration its own simple type; TMF's
polymorphic ``@type``, ``@baseType``, ``@schemaLocation`` and ``@referredType``
become XML attributes (``type`` ...).  A free JSON value (a characteristic's
value, ``Any``) is written in the W3C XPath 3.1 JSON-as-XML form, and the
attributes an extended object (one naming its own ``@schemaLocation``)
carries beyond its definition go in its ``extension`` element as a JSON map.

The same ``ObjectType`` tables drive the XSD generator (``generate``) and
the codec (``clientdata``), so what the schema says is what the codec reads
and writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from core.document.fields import (
    CHARACTERISTIC_FIELDS,
    ENTITY_FIELDS,
    ITEM_FIELDS,
    ITEM_RELATIONSHIP_FIELDS,
    NOTE_FIELDS,
    ORDER_FIELDS,
    ORDER_RELATIONSHIP_FIELDS,
    PARTY_FIELDS,
    SPECIFICATION_FIELDS,
)
from core.document.relaxations import POLYMORPHIC
from core.document.schema import OWN, canonical_schema
from core.document.tmf import API
from core.domain.model import Kind

# leaf types: XSD type name -> how its text reads back
STRING, DATE, INTEGER, NUMBER, BOOLEAN, JSON = (
    "xs:string",
    "xs:dateTime",
    "xs:integer",
    "xs:double",
    "xs:boolean",
    "om:JsonValue",
)
ATTRIBUTES = {name: name[1:] for name in POLYMORPHIC}  # "@type" -> the XML attribute "type"


@dataclass(frozen=True)
class Enumeration:
    name: str
    values: tuple[str, ...]


@dataclass
class Field:
    name: str  # the element's name: the TMF attribute's
    type: str | ObjectType | Enumeration
    many: bool = False


@dataclass
class ObjectType:
    name: str  # the XSD complex type's name
    fields: dict[str, Field] = field(default_factory=dict)  # element order

    @property
    def element_names(self) -> frozenset[str]:
        return frozenset(self.fields)


# the canonical levels: their typed attributes have hand-written elements (``codec``); the rest is here
LEVELS: dict[str, tuple[str, frozenset[str]]] = {
    "Order": ("Value", ORDER_FIELDS | {"id"}),
    "Item": ("Item", ITEM_FIELDS),
    "Entity": ("Entity", ENTITY_FIELDS),
    "Specification": ("Specification", SPECIFICATION_FIELDS),
    "Characteristic": ("Characteristic", CHARACTERISTIC_FIELDS),
    "Party": ("RelatedParty", PARTY_FIELDS),
    "Note": ("Note", NOTE_FIELDS),
    "OrderRelationship": ("Relationship", ORDER_RELATIONSHIP_FIELDS),
    "ItemRelationship": ("ItemRelationship", ITEM_RELATIONSHIP_FIELDS),
}


class _Builder:
    def __init__(self, kind: Kind) -> None:
        self.api = API[kind]
        self.schema = canonical_schema(self.api)
        self.definitions: dict[str, Any] = self.schema["definitions"]
        self.types: dict[str, ObjectType] = {}
        self.enumerations: dict[str, Enumeration] = {}

    def level(self, level: str) -> ObjectType:
        suffix, typed = LEVELS[level]
        name = f"{self.api.type_name}{suffix}"
        return self._object(name, self.definitions[OWN + level], typed)

    def _object(self, name: str, definition: dict[str, Any], typed: frozenset[str] = frozenset()) -> ObjectType:
        if name in self.types:
            return self.types[name]
        obj = self.types[name] = ObjectType(name)
        for prop, schema in definition.get("properties", {}).items():
            if prop in typed or prop.startswith("@"):
                continue
            obj.fields[prop] = self._field(prop, schema)
        return obj

    def _field(self, prop: str, schema: dict[str, Any]) -> Field:
        if schema.get("type") == "array":
            inner = self._field(prop, schema.get("items", {}))
            return Field(prop, inner.type, many=True)
        if "$ref" in schema:
            ref = schema["$ref"].rsplit("/", 1)[-1]
            target = self.definitions[ref]
            if "enum" in target:
                return Field(prop, self._enumeration(ref, target))
            if "properties" in target:
                return Field(prop, self._object(f"{self.api.api}.{ref}", target))
            return Field(prop, self._leaf(target))
        if "enum" in schema:
            return Field(prop, self._enumeration(f"{prop}Value", schema))
        return Field(prop, self._leaf(schema))

    def _enumeration(self, ref: str, target: dict[str, Any]) -> Enumeration:
        name = f"{self.api.api}.{ref}"
        return self.enumerations.setdefault(name, Enumeration(name, tuple(target["enum"])))

    @staticmethod
    def _leaf(schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if kind == "string":
            return DATE if schema.get("format") == "date-time" else STRING
        return {"integer": INTEGER, "number": NUMBER, "boolean": BOOLEAN}.get(str(kind), JSON)


@dataclass(frozen=True)
class KindModel:
    """One kind's client data types: the typed levels' and every TMF type they lead to."""

    levels: dict[str, ObjectType]
    types: dict[str, ObjectType]
    enumerations: dict[str, Enumeration]


@cache
def model(kind: Kind) -> KindModel:
    builder = _Builder(kind)
    levels = {level: builder.level(level) for level in LEVELS}
    return KindModel(levels, dict(builder.types), dict(builder.enumerations))
