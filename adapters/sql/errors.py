"""Which database failures are passing, which final, and which are the caller's.

``unavailable``: the database cannot serve now (``Unavailable``: retry later,
nothing was done) -- connection exceptions, insufficient resources (too many
clients), operator intervention (shutdown, cannot connect now), a database or
a role that is gone, and a schema that is not the one the code needs (a table
or column missing: the schema is being migrated, or was rolled back), whether
asyncpg raises them straight or SQLAlchemy wraps them; not "your statement is
wrong".

``refusal``: at start, what no retry will mend -- the server refuses the user
or password, the database does not exist, the SQLite file cannot be opened --
said as the operator's fix.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy import exc as sa_exc

_UNAVAILABLE_SQLSTATES = ("08", "53", "57P", "28", "3D000", "42P01", "42703")
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
        orig = exc.orig
        return exc.connection_invalidated or unavailable(orig) or unavailable(orig and orig.__cause__)
    return False


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception, what SQLAlchemy wraps and what caused it."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = getattr(current, "orig", None) or current.__cause__
    return seen


def sqlstate(exc: BaseException) -> str | None:
    for error in _chain(exc):
        state = getattr(error, "sqlstate", None)
        if isinstance(state, str):
            return state
    return None


def refusal(exc: BaseException) -> str | None:
    """Why the database refuses the gateway for good (said with the fix), or None if a retry may help."""
    state = sqlstate(exc)
    detail = str(_chain(exc)[-1]).strip()
    if state is not None and state.startswith("28"):
        return f"the database refused the user or password ({detail})"
    if state == "3D000":
        return f"{detail}: create it (CREATE DATABASE), then run `ordergate migrate`"
    if "unable to open database file" in detail:
        return "cannot open the SQLite file: does its directory exist, and may the gateway write there?"
    return None
