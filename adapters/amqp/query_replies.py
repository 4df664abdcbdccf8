"""The replies to one ``queryOrdersRequest``, within the limits a request may cost.

A query is answered with a sequence of pages (OSS/J iterator replies), and
they are published together with the request's acknowledgement, so every
page is held until the last is read.  Unbounded, one small request could
make the gateway hold hundreds of megabytes (``howMany=1`` over a few
hundred large orders).  So a query is **refused** (``illegalArgument``,
nothing is sent but the exception) when it would need more replies than
``max_query_replies``, when one reply would exceed ``max_reply_bytes``, or
when all of them together would exceed ``max_query_bytes``.  Refused, not
truncated: a sequence cut short would still end with ``endOfReply`` and
look complete to a requester reading until it, and the message says how to
ask instead (a larger ``howMany``, an ``offset``, fewer attributes).

The number of replies is known from the first page (its ``totalCount``), so
most refusals cost one page; each page is serialized as soon as it is read
and its tree let go, so what is held is the bytes to publish.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

from lxml import etree

from adapters.amqp.config import ReplyLimits
from adapters.xml import q, serialize
from core.domain.errors import IllegalArgument


@dataclass(frozen=True)
class ReplyMessage:
    """One reply, ready to publish: its root element's name and the serialized document."""

    name: str
    body: bytes

    @classmethod
    def of(cls, element: etree._Element) -> ReplyMessage:
        return cls(etree.QName(element).localname, serialize(element))


def _number(element: etree._Element, name: str) -> int:
    text = element.findtext(q(name))
    return int(text) if text and text.strip() else 0


def _check_count(request: etree._Element, first: etree._Element, limits: ReplyLimits) -> None:
    """Refuse, before reading a second page, a query that would take too many replies."""
    how_many = _number(request, "howMany")
    if how_many <= 0:
        return  # one reply with every order
    offset = _number(request, "offset")
    remaining = max(0, _number(first, "totalCount") - offset)
    needed = max(1, math.ceil(remaining / how_many))
    cap = limits.max_query_replies
    if needed > cap:
        raise IllegalArgument(
            f"the query would take {needed} replies ({remaining} orders from offset {offset},"
            f" howMany {how_many}); one request is answered with at most {cap} replies: ask with"
            f" howMany of at least {math.ceil(remaining / cap)}, or in parts with offset"
        )


def _checked_size(page: ReplyMessage, sequence: int, held: int, limits: ReplyLimits) -> None:
    size = len(page.body)
    if size > limits.max_reply_bytes:
        raise IllegalArgument(
            f"reply {sequence} of the query would be {size} bytes, more than the {limits.max_reply_bytes}"
            " one reply may have: ask with a smaller howMany or for fewer attributeNames"
        )
    if held + size > limits.max_query_bytes:
        raise IllegalArgument(
            f"the replies to the query would be more than the {limits.max_query_bytes} bytes one"
            " request may be answered with: ask in parts with offset and howMany, or for fewer attributeNames"
        )


async def query_replies(
    request: etree._Element, pages: AsyncIterator[etree._Element], limits: ReplyLimits
) -> list[ReplyMessage]:
    """Every page of the query, serialized; IllegalArgument as soon as a limit is passed."""
    replies: list[ReplyMessage] = []
    held = 0
    try:
        async for page in pages:
            if not replies:
                _check_count(request, page, limits)
            elif len(replies) >= limits.max_query_replies:  # orders were added while it was read
                raise IllegalArgument(
                    f"the query takes more than the {limits.max_query_replies} replies one request"
                    " may be answered with: ask with a larger howMany, or in parts with offset"
                )
            reply = ReplyMessage.of(page)
            _checked_size(reply, len(replies) + 1, held, limits)
            held += len(reply.body)
            replies.append(reply)
    finally:
        close = getattr(pages, "aclose", None)
        if close is not None:
            await close()
    return replies
