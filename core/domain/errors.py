"""The one error taxonomy of the core.

Every adapter translates these, and only these, into its own error form
(HTTP status + TMF error body, XML exception element, SOAP fault) through one
table per adapter.  ``kind`` is the stable name those tables key on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a client's value: where (a path of canonical attribute names and
    list positions) and what.  A profile names the place in its own words (TMF path, element path)."""

    path: Path
    text: str


def dotted(path: Path) -> str:
    """``items[0].entity.characteristics[1]``: a canonical path as the core's messages write it."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


MAX_LISTED = 50  # problems named in one message; the rest are counted


def listing(problems: Sequence[Problem], name: object = dotted) -> str:
    """The problems in one message, each place named by ``name``: the first fifty, then how many more."""
    shown = "; ".join(
        f"{name(p.path)}: {p.text}" if p.path else p.text  # type: ignore[operator]
        for p in problems[:MAX_LISTED]
    )
    more = len(problems) - MAX_LISTED
    return shown if more <= 0 else f"{shown}; and {more} more"


class OrderError(Exception):
    """Base of every error the core raises on purpose."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class IllegalArgument(OrderError):
    """Malformed or missing input: nothing was changed.

    ``problems``, when given, are every problem found in the input at once (the message
    lists them); a profile may list them again naming each place in its own words."""

    kind = "illegalArgument"

    def __init__(self, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> IllegalArgument:
        return cls(listing(problems), problems)


class IllegalAttributeValue(IllegalArgument):
    """One named attribute has a value the core does not accept."""

    kind = "illegalAttributeValue"

    def __init__(self, attribute: str, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(f"{attribute}: {message}" if not problems else message, problems)
        self.attribute = attribute

    @classmethod
    def of(cls, problems: Sequence[Problem]) -> IllegalAttributeValue:
        return cls(dotted(problems[0].path), listing(problems), problems)


class IllegalState(OrderError):
    """The operation is not allowed in the order's (or item's) current state."""

    kind = "illegalState"


class ObjectNotFound(OrderError):
    """No such order for this caller (unknown, or another client's)."""

    kind = "objectNotFound"


class DuplicateKey(OrderError):
    """An order with the client-supplied key already exists."""

    kind = "duplicateKey"

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key  # the order id that is taken, when the store knows it


class ResyncRequired(OrderError):
    """The order changed since the caller read it (stale version)."""

    kind = "resyncRequired"


class UnsupportedOperation(OrderError):
    """The operation is not offered (for this order kind or configuration)."""

    kind = "unsupportedOperation"


class PermissionDenied(OrderError):
    """The caller's roles do not allow this operation."""

    kind = "permissionDenied"


class Unavailable(OrderError):
    """Infrastructure failure (database, broker): retry later, nothing was changed."""

    kind = "remote"


ERROR_KINDS: tuple[type[OrderError], ...] = (
    IllegalArgument,
    IllegalAttributeValue,
    IllegalState,
    ObjectNotFound,
    DuplicateKey,
    ResyncRequired,
    UnsupportedOperation,
    PermissionDenied,
    Unavailable,
)
