"""The headers of one page of a list: its count, how the total was counted, and the way on.

``X-Total-Count`` is the count the query asked for: exact (every match
visited), the database planner's estimate (then ``X-Total-Count-Estimated:
true``), or absent (``count=none``, and by default on the pages a cursor
reaches: the first page said it).  ``X-Next-Cursor`` and a ``Link`` with
``rel="next"`` name the page after this one when there is one; the link
keeps every other parameter and drops ``offset``.
"""

from __future__ import annotations

from aiohttp import web

from core.domain.query import CountMode
from core.ports import QueryPage


def next_link(request: web.Request, cursor: str) -> str:
    query = [(k, v) for k, v in request.query.items() if k not in ("cursor", "offset")]
    return str(request.rel_url.with_query([*query, ("cursor", cursor)]))


def page_headers(request: web.Request, page: QueryPage, cursor: str | None) -> dict[str, str]:
    headers = {"X-Result-Count": str(page.size)}
    if page.count is not CountMode.NONE:
        headers["X-Total-Count"] = str(page.total)
    if page.count is CountMode.ESTIMATE:
        headers["X-Total-Count-Estimated"] = "true"
    if cursor is not None:
        headers["X-Next-Cursor"] = cursor
        headers["Link"] = f'<{next_link(request, cursor)}>; rel="next"'
    return headers
