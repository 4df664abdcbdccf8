"""A client's order value checked against its kind's schema: every problem named, all at once.

``check_value`` raises one error listing everything wrong with the value:
``illegalAttributeValue`` when each problem is a value a known attribute may
not take, ``illegalArgument`` when the value's shape is wrong (an attribute
no schema defines, a required one missing).  Problems carry canonical paths;
each profile names them in its own words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.document import schema
from core.document.text import text_problems
from core.domain.errors import IllegalArgument, IllegalAttributeValue, Path, Problem
from core.domain.model import Kind

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
    "null": "null",
}
_SHAPE = ("AdditionalProperties", "Required")


def check_value(kind: Kind, value: Mapping[str, Any], problems: list[Problem] | None = None) -> None:
    """Raise unless ``value`` (absent attributes left out) is a valid order value of ``kind``;
    ``problems`` the caller found already (attributes the client may not set) are named with the
    rest, in one error, and make it an ``illegalArgument``."""
    given = list(problems or ())
    found, shape = problems_of(schema.errors(kind, value), value)
    every = [*given, *text_problems(value), *found]
    if not every:
        return
    every = list({p.path: p for p in reversed(every)}.values())  # one problem per place
    every.sort(key=lambda p: tuple((0, str(x)) if isinstance(x, str) else (1, f"{x:09}") for x in p.path))
    raise IllegalArgument.of(every) if given or shape else IllegalAttributeValue.of(every)


def problems_of(errors: Iterable[Any], value: Any) -> tuple[list[Problem], bool]:
    """The problems a validator's errors stand for; True when one is about the value's shape
    (an attribute no schema defines, a required one missing) rather than about one value."""
    problems: list[Problem] = []
    shape = False
    for error in errors:
        name = type(error.kind).__name__
        found = _problems(name, error, value)
        shape = shape or (name in _SHAPE and bool(found))
        problems += found
    return problems, shape


def _at(document: Any, path: Path) -> Any:
    for part in path:
        document = document[part]
    return document


def _problems(name: str, error: Any, value: Mapping[str, Any]) -> list[Problem]:
    path: Path = tuple(error.instance_path)
    kind = error.kind
    if name == "AdditionalProperties":
        if "@schemaLocation" in _at(value, path):
            return []  # a TMF subclass whose schema the gateway cannot read: its attributes are kept
        return [Problem((*path, extra), "unknown attribute") for extra in kind.unexpected]
    if name == "Required":
        return [Problem((*path, kind.property), "is required")]
    if name == "Type":
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in kind.types)
        return [Problem(path, f"must be {words}")]
    if name == "Enum":
        given = json.dumps(_at(value, path), ensure_ascii=False)[:40]
        return [Problem(path, f"{given} is not one of {', '.join(map(str, kind.options))}")]
    if name == "Format":
        return [Problem(path, "is not an ISO 8601 date-time with a time zone (RFC 3339)")]
    if name in ("MaxLength", "MinLength", "Maximum", "Minimum", "MaxItems", "MinItems", "Pattern"):
        return [Problem(path, _bound(name, kind))]
    return [Problem(path, error.message[:200])]


def _bound(name: str, kind: Any) -> str:
    texts: dict[str, Callable[[], str]] = {
        "MaxLength": lambda: f"is longer than {kind.limit} characters",
        "MinLength": lambda: "must not be empty" if kind.limit == 1 else f"is shorter than {kind.limit}",
        "Maximum": lambda: f"must be at most {kind.limit}",
        "Minimum": lambda: f"must be at least {kind.limit}",
        "MaxItems": lambda: f"holds more than {kind.limit} entries",
        "MinItems": lambda: f"needs at least {kind.limit} entr{'y' if kind.limit == 1 else 'ies'}",
        "Pattern": lambda: "holds characters an id may not (white space, / ? # % \\)",
    }
    return texts[name]()
