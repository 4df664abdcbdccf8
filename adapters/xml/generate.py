"""The order value types of ``ordermanagement.xsd``, written from the information model.

``python -m adapters.xml.generate`` rewrites the part of the XSD between the
``generated`` markers from ``adapters.xml.model`` (itself read off the
official TMF files): per order kind, its value type, the types of its
items, entities, specifications, characteristics, notes, parties and
relationships (the typed elements the core reasons about first, then the
kind's client data), and every TMF type its client data leads to.  A test
checks that the committed XSD is what this writes, so the schema a partner
reads cannot drift from what the gateway accepts.
"""

from __future__ import annotations

import sys
from xml.sax.saxutils import quoteattr

from adapters.xml.model import Enumeration, Field, ObjectType, model
from adapters.xml.schema import XSD_PATH
from core.domain.model import Kind

BEGIN = "<!-- generated: begin (python -m adapters.xml.generate) -->"
END = "<!-- generated: end -->"

# The typed elements of each level, before its client data ({K}: the kind's type name).
TYPED: dict[str, str] = {
    "Order": """
      <xs:element name="key" type="om:OrderKey" minOccurs="0"/>
      <xs:element name="orderType" type="xs:string" minOccurs="0"/>
      <xs:element name="externalId" type="xs:string" minOccurs="0"/>
      <xs:element name="state" type="om:OrderState" minOccurs="0"/>
      <xs:element name="stateReason" type="xs:string" minOccurs="0"/>
      <xs:element name="version" type="xs:int" minOccurs="0"/>
      <xs:element name="clientId" type="xs:string" minOccurs="0"/>
      <xs:element name="priority" type="om:Priority" minOccurs="0"/>
      <xs:element name="description" type="xs:string" minOccurs="0"/>
      <xs:element name="category" type="xs:string" minOccurs="0"/>
      <xs:element name="orderDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="requestedStartDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="requestedCompletionDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="expectedCompletionDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="startDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="completionDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="cancellationDate" type="xs:dateTime" minOccurs="0"/>
      <xs:element name="cancellationReason" type="xs:string" minOccurs="0"/>
      <xs:element name="notes" type="om:{K}NoteList" minOccurs="0"/>
      <xs:element name="relatedParties" type="om:{K}RelatedPartyList" minOccurs="0"/>
      <xs:element name="relationships" type="om:{K}RelationshipList" minOccurs="0"/>
      <xs:element name="items" type="om:{K}ItemList" minOccurs="0"/>
      <xs:element name="parent" type="om:ParentRef" minOccurs="0"/>
      <xs:element name="milestones" type="om:MilestoneList" minOccurs="0"/>
      <xs:element name="jeopardyAlerts" type="om:JeopardyAlertList" minOccurs="0"/>""",
    "Item": """
      <xs:element name="id" type="xs:string"/>
      <xs:element name="action" type="om:ItemAction"/>
      <xs:element name="state" type="om:ItemState" minOccurs="0"/>
      <xs:element name="stateReason" type="xs:string" minOccurs="0"/>
      <xs:element name="quantity" type="xs:int" minOccurs="0"/>
      <xs:element name="entity" type="om:{K}Entity" minOccurs="0"/>
      <xs:element name="relationship" type="om:{K}ItemRelationship" minOccurs="0" maxOccurs="unbounded"/>
      <xs:element name="pointOfNoReturn" type="xs:boolean" minOccurs="0"/>
      <xs:element name="items" type="om:{K}ItemList" minOccurs="0"/>
      <xs:element name="child" type="om:ChildRef" minOccurs="0" maxOccurs="unbounded"/>""",
    "Entity": """
      <xs:element name="id" type="xs:string" minOccurs="0"/>
      <xs:element name="specification" type="om:{K}Specification" minOccurs="0"/>
      <xs:element name="characteristic" type="om:{K}Characteristic" minOccurs="0" maxOccurs="unbounded"/>""",
    "Specification": """
      <xs:element name="id" type="xs:string" minOccurs="0"/>
      <xs:element name="name" type="xs:string" minOccurs="0"/>""",
    "Characteristic": """
      <xs:element name="name" type="xs:string"/>
      <xs:element name="value" type="om:JsonValue"/>""",
    "Party": """
      <xs:element name="id" type="xs:string"/>
      <xs:element name="role" type="xs:string" minOccurs="0"/>
      <xs:element name="name" type="xs:string" minOccurs="0"/>""",
    "Note": """
      <xs:element name="text" type="xs:string"/>
      <xs:element name="author" type="xs:string" minOccurs="0"/>
      <xs:element name="date" type="xs:dateTime" minOccurs="0"/>""",
    "OrderRelationship": """
      <xs:element name="type" type="xs:string"/>
      <xs:element name="orderId" type="xs:string"/>""",
    "ItemRelationship": """
      <xs:element name="type" type="xs:string"/>
      <xs:element name="itemId" type="xs:string"/>""",
}
# level -> (list wrapper type suffix, element name of one entry)
LISTS = {"Note": ("NoteList", "note"), "Party": ("RelatedPartyList", "relatedParty")}
LISTS |= {"OrderRelationship": ("RelationshipList", "relationship"), "Item": ("ItemList", "item")}


def _type_of(f: Field) -> str:
    if isinstance(f.type, ObjectType | Enumeration):
        return f"om:{f.type.name}"
    return f.type


def _element(f: Field) -> str:
    many = ' maxOccurs="unbounded"' if f.many else ""
    return f'      <xs:element name="{f.name}" type="{_type_of(f)}" minOccurs="0"{many}/>'


def _complex(name: str, typed: str, obj: ObjectType) -> list[str]:
    return [
        f'  <xs:complexType name="{name}">',
        "    <xs:sequence>" + typed,
        *(_element(f) for f in obj.fields.values()),
        '      <xs:element name="extension" type="om:JsonObject" minOccurs="0"/>',
        "    </xs:sequence>",
        '    <xs:attributeGroup ref="om:Polymorphic"/>',
        "  </xs:complexType>",
    ]


def _list(name: str, entry: str, of: str) -> list[str]:
    return [
        f'  <xs:complexType name="{name}">',
        "    <xs:sequence>",
        f'      <xs:element name="{entry}" type="om:{of}" minOccurs="0" maxOccurs="unbounded"/>',
        "    </xs:sequence>",
        "  </xs:complexType>",
    ]


def _enumeration(e: Enumeration) -> list[str]:
    values = [f"      <xs:enumeration value={quoteattr(v)}/>" for v in e.values]
    return [f'  <xs:simpleType name="{e.name}">', '    <xs:restriction base="xs:string">', *values]


def kind_types(kind: Kind) -> list[str]:
    m = model(kind)
    k = kind.base_type
    out = [f"  <!-- {kind.value}: its value, then the TMF types its client data leads to -->"]
    for level, obj in m.levels.items():
        out += _complex(obj.name, TYPED[level].replace("{K}", k), obj)
        if level in LISTS:
            suffix, entry = LISTS[level]
            out += _list(f"{k}{suffix}", entry, obj.name)
    levels = {obj.name for obj in m.levels.values()}
    for name in sorted(m.types):
        if name not in levels:
            out += _complex(name, "", m.types[name])
    for name in sorted(m.enumerations):
        out += [*_enumeration(m.enumerations[name]), "    </xs:restriction>", "  </xs:simpleType>"]
    return out


def generated() -> str:
    lines = [BEGIN]
    for kind in Kind:
        lines += kind_types(kind)
    lines.append("  " + END)
    return "\n".join(lines)


def rewritten(xsd: str) -> str:
    head, _, rest = xsd.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + generated() + tail


def main() -> int:
    text = XSD_PATH.read_text(encoding="utf-8")
    new = rewritten(text)
    if new != text:
        XSD_PATH.write_text(new, encoding="utf-8")
        print(f"{XSD_PATH.name}: rewritten")
    else:
        print(f"{XSD_PATH.name}: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
