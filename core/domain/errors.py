"""The one error taxonomy of the core.

Every adapter translates these, and only these, into its own error form
(HTTP status + TMF error body, XML exception element, SOAP fault) through one
table per adapter.  ``kind`` is the stable name those tables key on.
"""

from __future__ import annotations


class OrderError(Exception):
    """Base of every error the core raises on purpose."""

    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class IllegalArgument(OrderError):
    """Malformed or missing input: nothing was changed."""

    kind = "illegalArgument"


class IllegalAttributeValue(IllegalArgument):
    """One named attribute has a value the core does not accept."""

    kind = "illegalAttributeValue"

    def __init__(self, attribute: str, message: str) -> None:
        super().__init__(f"{attribute}: {message}")
        self.attribute = attribute


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
