"""Which failures say "the database cannot serve now" (Unavailable: retry later, nothing was done).

Connection exceptions, insufficient resources (too many clients) and operator
intervention (shutdown, cannot connect now), whether asyncpg raises them
straight or SQLAlchemy wraps them; not "your statement is wrong".
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")
INFRA = (  # exception types that always mean the connection or the server failed
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
)


def unavailable(exc: BaseException | None) -> bool:
    if exc is None:
        return False
    if isinstance(exc, INFRA):
        return True
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
        return True  # the connection was lost between two statements
    state = getattr(exc, "sqlstate", None)
    if isinstance(state, str) and state.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or unavailable(exc.orig) or unavailable(exc.orig.__cause__)
    return False
