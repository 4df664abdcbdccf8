"""The parts of XML replies and events that are not order values, read into canonical form.

States come back from their OSS/J names, event elements by their canonical
type (``orderStateChangeEvent`` -> ``OrderStateChange``), an exception by the
error kind its ``code`` (else its element) names.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from core.domain.states import State

NS = "urn:ordergate:xml:om:v1"
NSMAP = {"om": NS}


def text(element: etree._Element | None, path: str) -> str | None:
    return None if element is None else element.findtext(path, namespaces=NSMAP)


def canonical_state(ossj: str | None) -> str | None:
    return None if ossj is None else State.from_ossj(ossj).value


def exception_kind(detail_holder: etree._Element) -> str:
    """The error kind in an ``<op>Exception`` (or a result's ``exception``): its code, else its element."""
    detail = detail_holder[0]
    code = text(detail, "om:code")
    return code or etree.QName(detail).localname.removesuffix("Exception")


def report(element: etree._Element | None) -> dict[str, Any]:
    def reasons(e: etree._Element) -> list[str]:
        return [r.text or "" for r in e.findall("om:reason", NSMAP)]

    assert element is not None
    return {
        "feasible": text(element, "om:feasible") == "true",
        "reasons": reasons(element),
        "items": [
            {
                "itemId": text(i, "om:itemId"),
                "feasible": text(i, "om:feasible") == "true",
                "reasons": reasons(i),
            }
            for i in element.findall("om:item", NSMAP)
        ],
    }


def history(response: etree._Element) -> list[dict[str, Any]]:
    return [
        {
            "fromState": canonical_state(text(e, "om:fromState")),
            "toState": canonical_state(text(e, "om:toState")),
            "itemId": text(e, "om:itemId"),
            "actor": text(e, "om:actor"),
            "reason": text(e, "om:reason"),
        }
        for e in response.findall("om:entry", NSMAP)
    ]


def event_type(element_name: str) -> str:
    """orderStateChangeEvent -> OrderStateChange: the canonical name of an event element."""
    name = element_name.removesuffix("Event")
    return name[:1].upper() + name[1:]


def event(root: etree._Element) -> dict[str, Any]:
    return {
        "eventId": text(root, "om:eventId"),
        "type": event_type(etree.QName(root).localname),
        "state": canonical_state(text(root, "om:state")),
        "previousState": canonical_state(text(root, "om:previousState")),
        "taskState": text(root, "om:taskState"),
        "itemChanges": [
            {
                "itemId": text(c, "om:itemId"),
                "previousState": canonical_state(text(c, "om:previousState")),
                "state": canonical_state(text(c, "om:state")),
            }
            for c in root.findall("om:itemStateChange", NSMAP)
        ],
    }
