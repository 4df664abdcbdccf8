"""Every bound a client's order value must keep, in one place (docs/security.md lists them).

The bounds are the core's, so every profile refuses alike; the XML schema
carries the same ones where it can say them.  Large orders are legitimate
(a fibre roll-out can hold tens of thousands of items), so the counts are
generous and every algorithm over them is linear or near it; the body size
limit (``ORDERGATE_MAX_BODY_BYTES``) bounds what one request can carry.
"""

from __future__ import annotations

from datetime import UTC, datetime

MAX_ID = 128  # an order's, item's, party's or relationship's id
MAX_NAME = 256  # externalId, orderType, category, names, roles, types
MAX_TEXT = 10_000  # free text: descriptions, notes, reasons, any text in client data
MAX_ITEMS = 100_000  # items of one order, at every level of nesting together
MAX_DEPTH = 8  # items inside items: levels below the order's own items
MAX_LIST = 10_000  # any other list: characteristics, relationships, parties, notes, prices ...
MAX_JSON_DEPTH = 32  # nesting of client data (objects and lists inside each other)
MAX_QUANTITY = 2**31 - 1  # the XML vocabulary's xs:int
# Dates the core stores: wide enough for any business use, narrow enough that every
# time zone conversion of them stays a valid date.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


def shown(value: object, width: int = MAX_ID) -> str:
    """``repr`` of a caller's value for an error message, cut to ``width`` characters.

    Messages name what was refused, but never echo an unbounded input back whole
    (a 5,000-character id in the path is named by its first characters)."""
    text = repr(value)
    return text if len(text) <= width + 2 else f"{text[: width + 1]}…' ({len(str(value))} characters)"
