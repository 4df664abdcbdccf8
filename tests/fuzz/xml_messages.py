"""Hypothesis strategies over the XML vocabulary (``ordermanagement.xsd``, as the gateway serves it).

``Vocabulary.requests()`` draws ``<op>Request`` elements generated from the
schema itself: every request element, each child as often as its occurrence
bounds allow (optional ones less often the deeper they are), choices
taken at random, every simple value drawn from its type -- enumerations,
the bounds of integers, dates at the edges of what ``xs:dateTime`` allows
(year 1 in +14:00, year 9999 in -12:00, year 10000, negative years, 24:00),
strings long and short.  Ids are mostly those of real orders, so
operations reach them instead of stopping at "not found".

``hostile(...)`` mutates a message: elements dropped, duplicated, swapped,
renamed, nested thousands deep; text replaced by very long strings, huge
numbers, bad dates; unknown elements and attributes; and, on the bytes,
DOCTYPEs with external entities (a file holding a secret, a loopback URL),
entity expansion (billion laughs, quadratic blow-up), parameter entities,
an external DTD, XInclude, another encoding, NUL and control characters,
invalid UTF-8, truncation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import xmlschema
from hypothesis import strategies as st
from lxml import etree
from xmlschema.validators import XsdAnyElement, XsdElement, XsdGroup

NS = "urn:ordergate:xml:om:v1"
FN = "http://www.w3.org/2005/xpath-functions"
XSD = "http://www.w3.org/2001/XMLSchema"
NSMAP = {None: NS, "fn": FN}
MAX_DEPTH = 9  # below this, only what the schema requires
Draw = Callable[[st.SearchStrategy[Any]], Any]

# XML 1.0 allows these characters in text (no C0 controls but tab, line feed, carriage return)
XML_TEXT = st.characters(
    codec="utf-8",
    exclude_categories=("Cs",),
    exclude_characters="".join(map(chr, [*range(9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF])),
)
LONG = (129, 257, 1025, 70_000)
DATES = (
    "2025-03-01T10:00:00Z",
    "2030-12-31T23:59:59.999999+01:00",
    "2024-02-29T12:00:00.123456789Z",  # more fraction digits than Python keeps
    "2024-06-01T12:00:00",  # no time zone
    "2024-06-01T24:00:00Z",  # end of day, which xs:dateTime allows
    "9999-12-31T23:59:59-12:00",  # past year 9999 in UTC
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
    "0001-01-01T00:00:00Z",
    "1900-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",  # a five-digit year
    "-0001-01-01T00:00:00Z",  # a year before the common era
    "2024-01-01T00:00:00+14:00",
    "2024-01-01T00:00:00-14:00",
)
NUMBERS = ("0", "-0", "1.5", "1e400", "-1e400", "123456789012345678901234567890", "4.9e-324", "1E+308")


def _builtin(simple: Any) -> tuple[str, Any]:
    """The XSD built-in type a simple type derives from, and the type itself (its facets)."""
    found = simple
    while not (found.name or "").startswith("{" + XSD + "}"):
        found = found.base_type
    return found.name.split("}")[1], simple


def _bounds(simple: Any) -> tuple[int | None, int | None]:
    """The integer bounds of a type: its own facets, else those of the type it derives from."""
    low = high = None
    found = simple
    while found is not None:
        if low is None and getattr(found, "min_value", None) is not None:
            low = int(found.min_value)
        if high is None and getattr(found, "max_value", None) is not None:
            high = int(found.max_value)
        found = getattr(found, "base_type", None)
    return low, high


# how often (in tenths) an optional element of these names is there at all: the key a change
# needs and the items an order needs often, the version a change may check seldom (a random one
# is stale, and the change is refused before anything else is tried)
LIKELIHOOD = {"key": 8, "items": 7, "item": 7, "entity": 6, "specification": 6, "version": 1}


@dataclass
class Vocabulary:
    """Strategies from the served schema; ``keys``: (kind, id) of real orders."""

    schema: xmlschema.XMLSchema
    keys: Sequence[tuple[str, str]]

    @property
    def ids(self) -> list[str]:
        return [order_id for _, order_id in self.keys] + ["1", "2"]

    @property
    def request_names(self) -> list[str]:
        return sorted(n for n in self.schema.elements if n.endswith("Request"))

    def requests(self) -> st.SearchStrategy[etree._Element]:
        return st.sampled_from(self.request_names).flatmap(self.request)

    def request(self, name: str) -> st.SearchStrategy[etree._Element]:
        xsd_element = self.schema.elements[name]

        @st.composite
        def build(draw: Draw) -> etree._Element:
            root = etree.Element(xsd_element.name, nsmap=NSMAP)
            self._fill(draw, root, xsd_element, 0)
            return root

        return build()

    # ------------------------------------------------------------ structure

    def _fill(self, draw: Draw, element: etree._Element, declared: XsdElement, depth: int) -> None:
        xsd_type = declared.type
        for name, attribute in getattr(xsd_type, "attributes", {}).items():
            if name is None:  # a wildcard: nothing to generate from
                continue
            if attribute.use == "required" or draw(st.integers(0, 9)) == 0:
                value = self._simple(draw, attribute.type, name)
                element.set(name, value)
        if xsd_type.name == f"{{{NS}}}OrderKey" and self.keys and draw(st.integers(0, 9)) < 8:
            kind, order_id = draw(st.sampled_from(list(self.keys)))  # a real order, of its kind
            etree.SubElement(element, f"{{{NS}}}type").text = kind
            etree.SubElement(element, f"{{{NS}}}primaryKey").text = order_id
        elif xsd_type.is_simple():
            element.text = self._simple(draw, xsd_type, declared.local_name)
        elif xsd_type.has_simple_content():
            element.text = self._simple(draw, xsd_type.content, declared.local_name)
        elif xsd_type.content is not None and hasattr(xsd_type.content, "model"):
            if xsd_type.mixed and draw(st.booleans()):
                element.text = draw(self._string(declared.local_name))
            self._group(draw, element, xsd_type.content, depth)

    def _occurs(self, draw: Draw, particle: Any, depth: int) -> int:
        low = particle.min_occurs
        high = particle.max_occurs if particle.max_occurs is not None else low + 3
        if depth >= MAX_DEPTH or high == low:
            return low
        likely = LIKELIHOOD.get(getattr(particle, "local_name", None) or "", max(1, 7 - depth))
        if low == 0 and draw(st.integers(0, 9)) >= likely:
            return 0  # optional parts grow rarer with depth
        return draw(st.integers(max(low, 1), min(high, low + 3)))

    def _group(self, draw: Draw, element: etree._Element, group: XsdGroup, depth: int) -> None:
        for _ in range(self._occurs(draw, group, depth)):
            particles = list(group)
            if group.model == "choice":
                particles = [draw(st.sampled_from(particles))] if particles else []
            for particle in particles:
                if isinstance(particle, XsdGroup):
                    self._group(draw, element, particle, depth + 1)
                elif isinstance(particle, XsdElement):
                    for _ in range(self._occurs(draw, particle, depth)):
                        child = etree.SubElement(element, particle.name)
                        self._fill(draw, child, particle, depth + 1)
                elif not isinstance(particle, XsdAnyElement):
                    raise AssertionError(f"unexpected particle {particle!r}")

    # ------------------------------------------------------------ values

    def _string(self, name: str) -> st.SearchStrategy[str]:
        known = st.sampled_from(list(self.ids) or ["1"])
        words = st.sampled_from(["1", "2", "fibre-1g", "router", "add", "x", " ", "", "ñ€😀", "a" * 128])
        free = st.text(XML_TEXT, max_size=40)
        long = st.sampled_from(LONG).map(lambda n: "x" * n)
        if name in ("primaryKey", "orderId", "itemId", "id"):
            return st.one_of(known, known, known, words, free, long)
        return st.one_of(words, free, free, long, known)

    def _simple(self, draw: Draw, simple: Any, name: str) -> str:
        enumeration = getattr(simple, "enumeration", None)
        if enumeration:
            return str(draw(st.sampled_from(list(enumeration))))
        builtin, _ = _builtin(simple)
        if builtin == "boolean":
            return str(draw(st.sampled_from(["true", "false", "1", "0"])))
        if builtin in ("int", "long", "short", "byte", "integer") or builtin.endswith("Integer"):
            low, high = _bounds(simple)
            edges = [v for v in (low, high, 0, 1, 2, -1) if v is not None]
            edges = [v for v in edges if (low is None or v >= low) and (high is None or v <= high)]
            return str(draw(st.one_of(st.sampled_from(edges), st.integers(low, high))))
        if builtin == "dateTime":
            return str(draw(st.sampled_from(DATES)))
        if builtin == "date":
            return str(draw(st.sampled_from(["2025-03-01", "9999-12-31", "0001-01-01"])))
        if builtin in ("decimal", "double", "float"):
            return str(draw(st.sampled_from(NUMBERS)))
        return str(draw(self._string(name)))


# ------------------------------------------------------------------ mutations


def _elements(root: etree._Element) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str)]


def _pick(draw: Draw, root: etree._Element, *, not_root: bool = False) -> etree._Element | None:
    candidates = _elements(root)[1:] if not_root else _elements(root)
    return draw(st.sampled_from(candidates)) if candidates else None


HOSTILE_TEXT = st.one_of(
    st.sampled_from(LONG).map(lambda n: "y" * n),
    st.sampled_from(["99999999999999999999", "-99999999999999999999", "2147483648", "NaN", "INF", "1e999"]),
    st.sampled_from(["2024-13-45T25:61:61Z", "9999-99-99", "0000-00-00T00:00:00Z", "yesterday", ""]),
    st.sampled_from(["\u202e\u200b", "\U0001d54f" * 40, "\t\n\r ", "<not/>", "&amp;lt;", "]]>"]),
    st.text(XML_TEXT, max_size=20),
)


def _drop(draw: Draw, root: etree._Element) -> None:
    victim = _pick(draw, root, not_root=True)
    if victim is not None and victim.getparent() is not None:
        victim.getparent().remove(victim)


def _duplicate(draw: Draw, root: etree._Element) -> None:
    victim = _pick(draw, root, not_root=True)
    if victim is not None and victim.getparent() is not None:
        for _ in range(draw(st.sampled_from([1, 2, 200]))):
            victim.addnext(copy.deepcopy(victim))


def _swap(draw: Draw, root: etree._Element) -> None:
    parent = _pick(draw, root)
    if parent is not None and len(parent) >= 2:
        first, second = draw(st.permutations(range(len(parent))))[:2]
        a, b = parent[first], parent[second]
        marker = etree.Element("marker")
        a.addprevious(marker)
        b.addprevious(a)
        marker.addprevious(b)
        marker.getparent().remove(marker)


def _retext(draw: Draw, root: etree._Element) -> None:
    victim = _pick(draw, root)
    if victim is not None:
        victim.text = draw(HOSTILE_TEXT)


def _unknown(draw: Draw, root: etree._Element) -> None:
    parent = _pick(draw, root)
    if parent is not None:
        name = draw(
            st.sampled_from([f"{{{NS}}}colour", "plain", f"{{{NS}}}item", f"{{{FN}}}map", "{urn:x}y"])
        )
        etree.SubElement(parent, name).text = "z"


def _attribute(draw: Draw, root: etree._Element) -> None:
    victim = _pick(draw, root)
    if victim is not None:
        name, value = draw(
            st.sampled_from(
                [
                    ("{http://www.w3.org/2001/XMLSchema-instance}nil", "true"),
                    ("{http://www.w3.org/2001/XMLSchema-instance}type", "om:ServiceOrderValue"),
                    ("{http://www.w3.org/XML/1998/namespace}base", "file:///etc/"),
                    ("type", "x" * 300),
                    ("key", "dup"),
                    ("escaped", "true"),
                ]
            )
        )
        victim.set(name, value)


def _rename(draw: Draw, root: etree._Element) -> None:
    victim = _pick(draw, root)
    if victim is not None:
        local = etree.QName(victim).localname
        victim.tag = draw(
            st.sampled_from([f"{{urn:somebody:else}}{local}", local, f"{{{NS}}}{local}x", f"{{{NS}}}Request"])
        )


def _nest(draw: Draw, root: etree._Element) -> None:
    parent = _pick(draw, root)
    if parent is not None:
        depth = draw(st.sampled_from([50, 300, 3000]))
        name = draw(st.sampled_from([f"{{{NS}}}items", f"{{{FN}}}map", f"{{{FN}}}array", "deep"]))
        for _ in range(depth):
            parent = etree.SubElement(parent, name)


def _xinclude(draw: Draw, root: etree._Element) -> None:
    parent = _pick(draw, root)
    if parent is not None:
        include = etree.SubElement(parent, "{http://www.w3.org/2001/XInclude}include")
        include.set("href", draw(st.sampled_from(["file:///etc/passwd", "http://127.0.0.1:9/x"])))
        include.set("parse", "text")


TREE_MUTATIONS = (_drop, _duplicate, _swap, _retext, _unknown, _attribute, _rename, _nest, _xinclude)


@dataclass(frozen=True)
class Traps:
    """Where an external entity would point: a file holding ``secret``, and a loopback URL no one
    must connect to.  A reply that holds the secret, or a connection, means it was read."""

    secret_file: str
    secret: str
    url: str


def _doctypes(traps: Traps) -> list[bytes]:
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return [
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "file://{traps.secret_file}">]>'.encode(),
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{traps.url}">]>'.encode(),
        f"<!DOCTYPE r [{laughs}]>".encode(),
        ('<!DOCTYPE r [<!ENTITY x "' + "q" * 50_000 + '">]>').encode(),
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{traps.url}"> %p;]>'.encode(),
        f'<!DOCTYPE r SYSTEM "{traps.url}">'.encode(),
        f'<!DOCTYPE r PUBLIC "-//X//Y" "file://{traps.secret_file}">'.encode(),
    ]


def _with_entities(data: bytes, doctype: bytes, reference: bytes, padding: int) -> bytes:
    """``data`` with a DOCTYPE before its root (after ``padding`` bytes of comment) and an entity
    reference in the first text."""
    declaration, _, body = data.partition(b"?>") if data.startswith(b"<?xml") else (b"", b"", data)
    head = declaration + b"?>" if declaration else b""
    comment = b"<!--" + b"c" * padding + b"-->" if padding else b""
    marker = body.find(b"</")
    if reference and marker > 0:
        body = body[:marker] + reference + body[marker:]
    return head + comment + doctype + body


def hostile(traps: Traps) -> Callable[[st.SearchStrategy[etree._Element]], st.SearchStrategy[bytes]]:
    """Mutate drawn messages: tree mutations, then (sometimes) one on the serialised bytes."""

    @st.composite
    def mutate(draw: Draw, messages: st.SearchStrategy[etree._Element]) -> bytes:
        root = draw(messages)
        for mutation in draw(st.lists(st.sampled_from(TREE_MUTATIONS), min_size=1, max_size=3)):
            mutation(draw, root)
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
        kind = draw(st.integers(0, 12))
        if kind == 0:
            doctype = draw(st.sampled_from(_doctypes(traps)))
            reference = draw(st.sampled_from([b"&x;", b"&l9;", b"", b"&x;&x;&x;"]))
            return _with_entities(data, doctype, reference, draw(st.sampled_from([0, 5000])))
        if kind == 1:
            return data[: draw(st.integers(0, max(0, len(data) - 1)))]
        if kind == 2:
            at = draw(st.integers(0, len(data)))
            junk = draw(
                st.sampled_from([b"\x00", b"\x01", b"\x1b[31m", b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80"])
            )
            return data[:at] + junk + data[at:]
        if kind == 3:
            text = data.decode("utf-8").replace("encoding='UTF-8'", "encoding='UTF-16'")
            return text.encode(draw(st.sampled_from(["utf-16", "utf-16-le", "utf-8"])))
        if kind == 4:
            return data.replace(b"encoding='UTF-8'", b"encoding='x-unknown'")
        if kind == 5:
            return b"\xef\xbb\xbf" + data  # a byte order mark
        return data

    return mutate
