"""SOAP 1.1 faults, and the one table from core error kinds to fault codes.

A fault about the order-management call itself carries the vocabulary's
``<op>Exception`` element as its ``detail`` (SOAP 1.1 §4.4: detail is for
errors in processing the Body), so a client tells an illegal state from an
unknown order from a stale version by the element, or finer by its ``code``.
Faults about the envelope (malformed, wrong version, unknown operation)
have no detail, as the SOAP rule says.
"""

from __future__ import annotations

from lxml import etree

from adapters.xml import NS, error_element, exception_element
from core.domain.errors import OrderError

CLIENT = "Client"
SERVER = "Server"
VERSION_MISMATCH = "VersionMismatch"
MUST_UNDERSTAND = "MustUnderstand"

# Caller errors are the client's to fix (Client); the rest may succeed on a retry (Server).
FAULT_CODES: dict[str, str] = {
    "illegalArgument": CLIENT,
    "illegalAttributeValue": CLIENT,
    "illegalState": CLIENT,
    "objectNotFound": CLIENT,
    "duplicateKey": CLIENT,
    "resyncRequired": CLIENT,
    "unsupportedOperation": CLIENT,
    "permissionDenied": CLIENT,
    "unauthenticated": CLIENT,
    "remote": SERVER,
    "unexpected": SERVER,
}


class SoapFault(Exception):
    """A request answered with a SOAP Fault: code, faultstring, optional detail element."""

    def __init__(self, code: str, message: str, detail: etree._Element | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail


def fault_code(kind: str) -> str:
    return FAULT_CODES.get(kind, SERVER)


def operation_fault(operation: str, kind: str, message: str) -> SoapFault:
    """A fault of ``operation`` for an error kind that is not an ``OrderError`` (e.g. unauthenticated)."""
    return SoapFault(fault_code(kind), message, exception_element(operation, kind, message))


def order_fault(operation: str, error: OrderError) -> SoapFault:
    """The fault of a core error; its faultstring is the detail's message (places named as element
    paths, as the client wrote them)."""
    detail = error_element(operation, error)
    message = detail.findtext(f"*/{{{NS}}}message") or error.message
    return SoapFault(fault_code(error.kind), message, detail)
