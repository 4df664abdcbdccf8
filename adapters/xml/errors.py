"""The one table from core error kinds to the vocabulary's exception elements."""

from __future__ import annotations

from lxml import etree

from adapters.xml.codec import sub
from adapters.xml.paths import element_path
from adapters.xml.schema import NS, q
from core.domain.errors import OrderError, listing

EXCEPTION_ELEMENTS: dict[str, str] = {
    "illegalArgument": "illegalArgumentException",
    "illegalAttributeValue": "illegalAttributeValueException",
    "illegalState": "illegalStateException",
    "objectNotFound": "objectNotFoundException",
    "duplicateKey": "duplicateKeyException",
    "resyncRequired": "resyncRequiredException",
    "unsupportedOperation": "unsupportedOperationException",
    "permissionDenied": "illegalArgumentException",
    "unauthenticated": "illegalArgumentException",
    "remote": "remoteException",
}


def exception_element(
    operation: str, kind: str, message: str, attribute: str | None = None
) -> etree._Element:
    """``<{operation}Exception><{kind element}><message/><code/>...``."""
    root = etree.Element(q(f"{operation}Exception"), nsmap={None: NS})
    detail = sub(root, EXCEPTION_ELEMENTS.get(kind, "remoteException"))
    sub(detail, "message", message)
    sub(detail, "code", kind)
    if attribute is not None and kind == "illegalAttributeValue":
        sub(detail, "attribute", attribute)
    return root


def error_element(operation: str, error: OrderError) -> etree._Element:
    """The exception element of a core error; the places of its problems named as element paths."""
    problems = getattr(error, "problems", ())
    if problems:
        message = listing(problems, element_path)
        return exception_element(operation, error.kind, message, element_path(problems[0].path))
    return exception_element(operation, error.kind, error.message, getattr(error, "attribute", None))


def error_kind_of(exception_root: etree._Element) -> str:
    """The core error kind an exception element reports (its code, else its element)."""
    detail = exception_root[0]
    code = detail.find(q("code"))
    if code is not None and code.text:
        return code.text
    name = etree.QName(detail).localname
    return next(k for k, v in EXCEPTION_ELEMENTS.items() if v == name)
