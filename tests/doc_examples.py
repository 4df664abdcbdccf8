"""The examples of the profile documents are test data: read from the Markdown, sent to a running
gateway, and what it answers compared with what the document shows.

An example is a fenced code block right after a marker comment naming a step and a part of it::

    <!-- example: create request-body -->
    ```xml
    <createOrderByValueRequest xmlns="urn:ordergate:xml:om:v1">...
    ```

A document's steps run in its order (``read``).  A documented reply shows real values, as one
run gave them.  What differs from run to run is checked by its form instead, and bound to what
the gateway gave:

* an order id the gateway assigned (``primaryKey`` in XML; the ``id`` of a REST response) --
  from then on the documented id is replaced by the real one in every request and reply, so a
  later request names the order just created, and a later reply must name it too;
* a timestamp (``orderDate``, ``startDate``, ``eventTime`` ...) or a message id -- wherever the
  document shows the same value again (the order date of a created order in the reply to its
  get, the event id repeated as the event's ``message_id``), the gateway must give the same one;
* the gateway's address (``http://127.0.0.1:8080``) and the broker users, given by the test.

Everything else -- each element, attribute, key and header the document shows, their order in
XML, every other value -- must be as documented, and nothing may be missing from the document:
a reply with one element more or less fails.  A failure names every difference by its path and
shows the real reply, formatted as the documents show it.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

_MARKER = re.compile(r"^<!-- example: (?P<name>[^>]*?) -->$", re.M)
_FENCE = re.compile(r"```(?P<lang>[\w-]*)\n(?P<text>.*?\n)```[ \t]*$", re.S | re.M)
_NAME = re.compile(r"(?P<step>[a-z][\w.-]*)(?: (?P<part>[a-z][\w-]*))?")

DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")
MESSAGE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

# values that differ from run to run, by XML element (local name) or JSON key
XML_VARYING = {
    "orderDate": DATE_TIME,
    "startDate": DATE_TIME,
    "completionDate": DATE_TIME,
    "cancellationDate": DATE_TIME,
    "eventTime": DATE_TIME,
    "eventId": MESSAGE_ID,
}
JSON_VARYING = {
    "orderDate": DATE_TIME,
    "startDate": DATE_TIME,
    "completionDate": DATE_TIME,
    "cancellationDate": DATE_TIME,
    "effectiveCancellationDate": DATE_TIME,
}


# ------------------------------------------------------------------ reading the examples


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    step: str
    part: str
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc}:{self.line} ({self.step} {self.part})".rstrip()


@dataclass
class Step:
    name: str
    parts: dict[str, Example] = field(default_factory=dict)

    def __getitem__(self, part: str) -> Example:
        return self.parts[part]

    def shape(self) -> frozenset[str]:
        return frozenset(self.parts)


def read(path: Path) -> list[Step]:
    """The examples of one document, as steps in the order of their first example."""
    text = path.read_text()
    doc = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    steps: dict[str, Step] = {}
    for marker in _MARKER.finditer(text):
        line = text.count("\n", 0, marker.start()) + 1
        name = _NAME.fullmatch(marker["name"])
        fence = _FENCE.match(text, marker.end() + 1)
        if name is None or fence is None:
            raise AssertionError(
                f"{doc}:{line}: an example marker is '<!-- example: <step> [<part>] -->'"
                " with a fenced code block on the next line"
            )
        step = steps.setdefault(name["step"], Step(name["step"]))
        part = name["part"] or ""
        if part in step.parts:
            raise AssertionError(f"{doc}:{line}: a second example {marker['name']!r}")
        step.parts[part] = Example(doc, line + 1, name["step"], part, fence["lang"], fence["text"])
    return list(steps.values())


def shapes(steps: Iterable[Step], allowed: Iterable[frozenset[str]]) -> None:
    """Every step has one of the ``allowed`` sets of parts: none is left out, none is ignored."""
    known = set(allowed)
    for step in steps:
        if step.shape() not in known:
            first = next(iter(step.parts.values()))
            raise AssertionError(
                f"{first.doc}:{first.line}: step {step.name!r} has the parts {sorted(step.shape())};"
                f" a step has one of {[sorted(s) for s in known]}"
            )


# ------------------------------------------------------------------ documented vs real values


class Values:
    """Documented values bound to the gateway's (see the module's docstring)."""

    def __init__(self, fixed: Mapping[str, str] | None = None) -> None:
        self.fixed = dict(fixed or {})
        self.ids: dict[str, str] = {}
        self.bound: dict[str, str] = {}

    def put(self, text: str) -> str:
        """``text`` with the real values in place of the documented ones known so far."""
        for documented, real in [*self.fixed.items(), *self.ids.items()]:
            text = text.replace(documented, real)
        return text

    def learn_id(self, documented: str, real: str) -> None:
        """A documented id seen for the first time stands for ``real`` from now on (an id the
        document has shown before, or one holding it, as ``<id>~3``, is compared as it is)."""
        if documented in self.ids or any(known in documented for known in self.ids):
            return
        if real in self.ids.values() and real != documented:
            return  # two documented ids for one real order: the comparison will show it
        self.ids[documented] = real

    def varying(self, documented: str, real: str, form: re.Pattern[str], bind: bool = True) -> str | None:
        """What is wrong with a value that differs from run to run, if anything (``bind``: the
        same documented value must stand for the same real one wherever it is shown)."""
        if not form.fullmatch(documented):
            return f"the documented {documented!r} is not of the form {form.pattern}"
        if not form.fullmatch(real):
            return f"the gateway's {real!r} is not of the form {form.pattern}"
        earlier = self.bound.setdefault(documented, real) if bind else real
        if earlier != real:
            return (
                f"the document shows {documented!r} here as where the gateway gave {earlier!r},"
                f" but here it gave {real!r}"
            )
        return None


def _failure(where: str, problems: list[str], real: str) -> AssertionError:
    listed = "\n".join(f"  {p}" for p in problems)
    return AssertionError(
        f"{where}: the gateway's reply is not the documented one:\n{listed}\n\nit was:\n{real}"
    )


# ------------------------------------------------------------------ XML


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_xml(text: str | bytes) -> etree._Element:
    return etree.fromstring(text.encode() if isinstance(text, str) else text, _PARSER)


_FN = "{http://www.w3.org/2005/xpath-functions}"


def pretty_xml(element: etree._Element | bytes | str, declaration: bool = True) -> str:
    """As the documents show XML: indented by two spaces, leaves on one line, and a JSON value
    that is one scalar on the line of its element (``<value><fn:number>300</fn:number></value>``)."""
    root = parse_xml(element) if isinstance(element, bytes | str) else element
    copy = etree.fromstring(etree.tostring(root))
    etree.indent(copy, space="  ")
    for el in copy.iter():
        inner = _elements(el)
        if len(inner) == 1 and str(inner[0].tag).startswith(_FN) and not _elements(inner[0]):
            el.text = inner[0].tail = None
    head = "<?xml version='1.0' encoding='UTF-8'?>\n" if declaration else ""
    return head + etree.tostring(copy, encoding="unicode")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _elements(el: etree._Element) -> list[etree._Element]:
    return [c for c in el if isinstance(c.tag, str)]


def _step(path: str, parent: etree._Element, child: etree._Element) -> str:
    same = [c for c in _elements(parent) if c.tag == child.tag]
    index = f"[{same.index(child) + 1}]" if len(same) > 1 else ""
    return f"{path}/{_local(child)}{index}"


def _learn_xml(doc: etree._Element, real: etree._Element, values: Values) -> None:
    if doc.tag != real.tag:
        return
    if _local(doc) == "primaryKey" and doc.text and real.text:
        values.learn_id(doc.text, real.text)
    for d, r in zip(_elements(doc), _elements(real), strict=False):
        _learn_xml(d, r, values)


def _compare_xml(
    doc: etree._Element, real: etree._Element, path: str, values: Values, problems: list[str]
) -> None:
    if doc.tag != real.tag:
        problems.append(f"{path}: the document shows <{doc.tag}>, the gateway sent <{real.tag}>")
        return
    if dict(doc.attrib) != dict(real.attrib):
        problems.append(f"{path}: attributes {dict(doc.attrib)} documented, {dict(real.attrib)} sent")
    docs, reals = _elements(doc), _elements(real)
    if not docs and not reals:
        d, r = doc.text or "", real.text or ""
        form = XML_VARYING.get(_local(doc))
        wrong = values.varying(d, r, form) if form is not None else (None if d == r else f"{d!r} documented")
        if wrong:
            problems.append(f"{path}: {wrong}, the gateway sent {r!r}")
        return
    for what, d_text, r_text in [("text", doc.text, real.text)] + [
        (f"text after <{_local(c)}>", c.tail, rc.tail) for c, rc in zip(docs, reals, strict=False)
    ]:
        if (d_text or "").strip() != (r_text or "").strip():
            problems.append(f"{path}: {what} {d_text!r} documented, {r_text!r} sent")
    # children paired by name in order: one left out or added is named, the rest still compared
    matcher = difflib.SequenceMatcher(None, [c.tag for c in docs], [c.tag for c in reals], autojunk=False)
    for op, d0, d1, r0, r1 in matcher.get_opcodes():
        if op == "equal":
            for d, r in zip(docs[d0:d1], reals[r0:r1], strict=True):
                _compare_xml(d, r, _step(path, doc, d), values, problems)
            continue
        if d1 > d0:
            problems.append(f"{path}: documented but not sent: {[_local(c) for c in docs[d0:d1]]}")
        if r1 > r0:
            problems.append(f"{path}: sent but not documented: {[_local(c) for c in reals[r0:r1]]}")


def compare_xml(documented: str, real: bytes | str, values: Values, where: str) -> etree._Element:
    """Fails unless the real XML is the documented one (see the module's docstring); the real root."""
    real_root = parse_xml(real)
    _learn_xml(parse_xml(documented), real_root, values)
    doc_root = parse_xml(values.put(documented))
    problems: list[str] = []
    _compare_xml(doc_root, real_root, "/" + _local(doc_root), values, problems)
    if problems:
        raise _failure(where, problems, pretty_xml(real_root))
    return real_root


def _errors(schema: Any, element: etree._Element | str) -> list[Any]:
    text = element if isinstance(element, str) else etree.tostring(element, encoding="unicode")
    return list(schema.iter_errors(text))


def validate(schema: Any, element: etree._Element | str, where: str) -> None:
    """``element`` is valid against the served XSD (an xmlschema schema)."""
    errors = _errors(schema, element)
    if errors:
        raise AssertionError(f"{where}: not valid against the served XSD: {errors[0]}")


# how the XML profiles refuse a request the XSD refuses: a value (illegalAttributeValue) or
# anything else about its structure (illegalArgument)
XSD_REFUSALS = frozenset({"illegalAttributeValueException", "illegalArgumentException"})


def validate_request(schema: Any, request: etree._Element | str, reply: etree._Element, where: str) -> None:
    """A documented request is valid against the served XSD -- unless it is there to show how
    one the XSD refuses is answered: its documented ``reply`` (an ``<op>Response`` or
    ``<op>Exception`` element) is then one of the ``XSD_REFUSALS``."""
    errors = _errors(schema, request)
    inner = _elements(reply)
    refused = _local(reply).endswith("Exception") and bool(inner) and _local(inner[0]) in XSD_REFUSALS
    if errors and not refused:
        raise AssertionError(f"{where}: not valid against the served XSD: {errors[0]}")


# ------------------------------------------------------------------ AMQP message properties


# a reply's or event's properties that differ from run to run
PROPERTY_VARYING = {"message_id": MESSAGE_ID, "timestamp": DATE_TIME}


def properties(example: Example) -> dict[str, Any]:
    """Message properties as the documents show them: YAML, every value read as the text it is."""
    loaded = yaml.load(example.text, Loader=yaml.BaseLoader)
    if not isinstance(loaded, dict):
        raise AssertionError(f"{example.where}: message properties are a YAML mapping")
    return loaded


def compare_properties(
    documented: Mapping[str, Any], real: Mapping[str, Any], values: Values, where: str
) -> None:
    """Every property the message carries is documented, as sent (the headers a mapping)."""
    problems = []
    for name in sorted(documented.keys() | real.keys()):
        doc, got = documented.get(name), real.get(name)
        if doc is None or got is None:
            problems.append(f"{name}: {doc!r} documented, {got!r} sent")
        elif name in PROPERTY_VARYING:
            # a timestamp has whole seconds: two messages may or may not share one
            wrong = values.varying(doc, got, PROPERTY_VARYING[name], bind=name != "timestamp")
            if wrong:
                problems.append(f"{name}: {wrong}")
        else:
            expected = (
                {k: values.put(v) for k, v in doc.items()} if isinstance(doc, dict) else values.put(doc)
            )
            if expected != got:
                problems.append(f"{name}: {doc!r} documented, {got!r} sent")
    if problems:
        raise AssertionError(f"{where}: not the documented properties:\n  " + "\n  ".join(problems))


# ------------------------------------------------------------------ JSON


def pretty_json(value: Any, indent: str = "", column: int = 0, width: int = 100) -> str:
    """As the documents show JSON: a value that fits on its line stays on it (``column``: where
    it starts), others are indented by two spaces, one member or entry a line."""
    flat = json.dumps(value, ensure_ascii=False)
    if column + len(flat) <= width or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        members = []
        for k, v in value.items():
            key = f"{inner}{json.dumps(k, ensure_ascii=False)}: "
            members.append(key + pretty_json(v, inner, len(key), width))
        return "{\n" + ",\n".join(members) + f"\n{indent}}}"
    entries = [inner + pretty_json(v, inner, len(inner), width) for v in value]
    return "[\n" + ",\n".join(entries) + f"\n{indent}]"


def learn_json(documented: str, real: Any, values: Values) -> None:
    """The ids of the resources a REST reply is about, learned: the top-level object's, or a list's."""
    _learn_json(json.loads(documented), real, values)


def _learn_json(doc: Any, real: Any, values: Values) -> None:
    pairs = (
        zip(doc, real, strict=False) if isinstance(doc, list) and isinstance(real, list) else [(doc, real)]
    )
    for d, r in pairs:
        if isinstance(d, dict) and isinstance(r, dict) and isinstance(d.get("id"), str):
            values.learn_id(d["id"], str(r.get("id")))


def _compare_json(doc: Any, real: Any, path: str, values: Values, problems: list[str]) -> None:
    if isinstance(doc, dict) and isinstance(real, dict):
        if set(doc) != set(real):
            missing, extra = sorted(set(doc) - set(real)), sorted(set(real) - set(doc))
            problems.append(f"{path}: documented but not sent {missing}; sent but not documented {extra}")
        for key in doc.keys() & real.keys():
            sub, form = f"{path}.{key}", JSON_VARYING.get(key)
            if form is not None and isinstance(doc[key], str) and isinstance(real[key], str):
                wrong = values.varying(doc[key], real[key], form)
                if wrong:
                    problems.append(f"{sub}: {wrong}")
            else:
                _compare_json(doc[key], real[key], sub, values, problems)
    elif isinstance(doc, list) and isinstance(real, list):
        if len(doc) != len(real):
            problems.append(f"{path}: {len(doc)} entries documented, {len(real)} sent")
        for i, (d, r) in enumerate(zip(doc, real, strict=False)):
            _compare_json(d, r, f"{path}[{i}]", values, problems)
    elif type(doc) is not type(real) or doc != real:
        problems.append(f"{path}: {doc!r} documented, the gateway sent {real!r}")


def compare_json(documented: str, real: Any, values: Values, where: str) -> None:
    """Fails unless the real JSON value is the documented one (see the module's docstring)."""
    _learn_json(json.loads(documented), real, values)
    doc = json.loads(values.put(documented))
    problems: list[str] = []
    _compare_json(doc, real, "$", values, problems)
    if problems:
        raise _failure(where, problems, pretty_json(real))


# ------------------------------------------------------------------ HTTP messages and curl


@dataclass(frozen=True)
class HttpMessage:
    """An HTTP request or response as a document shows it: start line, headers, blank line, body."""

    start: str
    headers: list[tuple[str, str]]
    body: str

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


def http_message(text: str, where: str) -> HttpMessage:
    head, _, body = text.partition("\n\n")
    start, *lines = head.splitlines()
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise AssertionError(f"{where}: {line!r} is not a header line")
        headers.append((name.strip(), value.strip()))
    return HttpMessage(start.strip(), headers, body)


def compare_response(
    documented: HttpMessage, status: int, reason: str, headers: Mapping[str, str], values: Values, where: str
) -> None:
    """The status line, and each header the document shows (a document leaves out the headers
    that change with every response: Date, Content-Length, X-Request-ID ...)."""
    problems = []
    expected = f"HTTP/1.1 {status} {reason}"
    if documented.start != expected:
        problems.append(f"status line {documented.start!r} documented, {expected!r} sent")
    lower = {k.lower(): v for k, v in headers.items()}
    for name, value in documented.headers:
        real = lower.get(name.lower())
        if real != values.put(value):
            problems.append(f"header {name}: {value!r} documented, {real!r} sent")
    if problems:
        sent = "\n".join(f"{k}: {v}" for k, v in headers.items())
        raise _failure(where, problems, f"{expected}\n{sent}")


@dataclass(frozen=True)
class Curl:
    method: str
    url: str
    headers: dict[str, str]
    data: str | None


def curl(command: str, where: str) -> Curl:
    """The request a documented ``curl`` command line makes (the options the documents use)."""
    words = shlex.split(command.replace("\\\n", " "))
    if not words or words[0] != "curl":
        raise AssertionError(f"{where}: not a curl command: {command!r}")
    method: str | None = None
    url: str | None = None
    headers: dict[str, str] = {}
    data: str | None = None
    include = False
    rest = iter(words[1:])
    for word in rest:
        if word in ("-i", "--include"):
            include = True
        elif word in ("-X", "--request"):
            method = next(rest)
        elif word in ("-H", "--header"):
            name, _, value = next(rest).partition(":")
            headers[name.strip()] = value.strip()
        elif word in ("-d", "--data", "--data-raw", "--data-binary"):
            data = next(rest)
        elif word.startswith("-"):
            raise AssertionError(f"{where}: curl option {word} is not one the documents use")
        elif url is None:
            url = word
        else:
            raise AssertionError(f"{where}: a second URL {word!r}")
    if url is None or not include:
        raise AssertionError(f"{where}: a documented curl command has a URL and -i (to show the status line)")
    return Curl(method or ("POST" if data is not None else "GET"), url, headers, data)
