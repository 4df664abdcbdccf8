"""The XML vocabulary shared by the XML-over-AMQP and SOAP profiles.

``ordermanagement.xsd`` is the single source; ``schema`` parses untrusted
bytes safely and validates; ``codec``/``values`` map elements to and from
canonical documents; ``operations`` executes every ``<op>Request`` on the
core; ``errors`` maps core errors to ``<op>Exception`` elements; ``events``
renders domain events.
"""

from adapters.xml.errors import EXCEPTION_ELEMENTS, error_element, error_kind_of, exception_element
from adapters.xml.events import EVENT_ELEMENTS, event_element, event_xml
from adapters.xml.operations import XmlOrderOperations, operation_of
from adapters.xml.schema import (
    NS,
    XmlRejected,
    document,
    parse_message,
    q,
    schema,
    serialize,
    validate,
    xsd_bytes,
)

__all__ = [
    "EVENT_ELEMENTS",
    "EXCEPTION_ELEMENTS",
    "NS",
    "XmlOrderOperations",
    "XmlRejected",
    "document",
    "error_element",
    "error_kind_of",
    "event_element",
    "event_xml",
    "exception_element",
    "operation_of",
    "parse_message",
    "q",
    "schema",
    "serialize",
    "validate",
    "xsd_bytes",
]
