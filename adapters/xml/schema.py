"""The vocabulary's schema and a hardened parser for untrusted XML.

No DTDs, no entities, no network: a DOCTYPE or entity declaration is refused
outright (XXE and entity-expansion attacks), and every message is validated
against the XSD before anything reads it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lxml import etree

NS = "urn:ordergate:xml:om:v1"
XSD_PATH = Path(__file__).with_name("ordermanagement.xsd")


class XmlRejected(ValueError):
    """The bytes are not an acceptable message (malformed, unsafe, invalid, too large).

    ``attribute`` names the element when the schema refused its value (a bad
    date, state or priority), so a profile can report an illegal attribute
    value, as the core does for the same mistake, rather than a malformed message.
    """

    def __init__(self, message: str, attribute: str | None = None) -> None:
        super().__init__(message)
        self.attribute = attribute


def q(name: str) -> str:
    """Clark notation of a vocabulary element name."""
    return f"{{{NS}}}{name}"


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH), _parser()))


FILES = ("ordermanagement.xsd", "xpath-functions.xsd")  # the vocabulary and the JSON-as-XML schema it imports


def xsd_bytes(name: str = "ordermanagement.xsd") -> bytes:
    if name not in FILES:
        raise KeyError(name)
    return XSD_PATH.with_name(name).read_bytes()


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        dtd_validation=False,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=True,
    )


def parse_message(data: bytes, max_bytes: int | None = None) -> etree._Element:
    """Parse one message; XmlRejected with a clear reason when it is not acceptable."""
    if max_bytes is not None and len(data) > max_bytes:
        raise XmlRejected(f"message of {len(data)} bytes exceeds the limit of {max_bytes}")
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise XmlRejected("DOCTYPE and entity declarations are not accepted")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as e:
        raise XmlRejected(f"malformed XML: {e}") from None
    if root.getroottree().docinfo.doctype:
        raise XmlRejected("DOCTYPE and entity declarations are not accepted")
    return root


def validate(element: etree._Element) -> None:
    """XmlRejected naming the first schema violation."""
    s = schema()
    if not s.validate(element):
        raise violation(s.error_log)


# errors about a simple value its type does not allow (not about the message's structure)
_VALUE_ERRORS = frozenset(
    getattr(etree.ErrorTypes, name)
    for name in dir(etree.ErrorTypes)
    if name.startswith(("SCHEMAV_CVC_DATATYPE_VALID", "SCHEMAV_CVC_TYPE_3_1"))
    or (name.startswith("SCHEMAV_CVC_") and name.endswith("_VALID"))
)
_ELEMENT = re.compile(r"^Element '(?:\{[^}]*\})?([^']+)'")


def violation(log: etree._ListErrorLog) -> XmlRejected:
    """The XmlRejected for a failed validation's error log (``attribute`` set for a value error)."""
    error = log.last_error
    rejected = XmlRejected(
        f"not valid against the ordermanagement schema: line {error.line}: {error.message}"
    )
    for entry in log:
        named = _ELEMENT.match(entry.message)
        if entry.type in _VALUE_ERRORS and named:
            rejected.attribute = named.group(1)
            break
    return rejected


def serialize(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8")


_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"


def document(text: str) -> bytes:
    """A message from element text (as ``serialize`` would give it, without a tree in between)."""
    return _DECLARATION + text.encode()
