"""Client text every profile can carry: XML 1.0 has no place for some characters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.domain.errors import IllegalAttributeValue

# Characters XML 1.0 cannot carry: a text holding one could not be answered or
# announced by the XML profiles, so no profile accepts it from a client.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_text(value: Any, where: str = "") -> None:
    """IllegalAttributeValue when a client's value (a text, or any text inside a map or list)
    holds characters XML cannot carry.  Client input only: stored documents are not re-judged."""
    if _carried(value):
        return  # the usual case, without building a name for every node
    if isinstance(value, str):
        raise IllegalAttributeValue(where or "value", "holds control characters that XML cannot carry")
    if isinstance(value, Mapping):
        for key, inner in value.items():
            name = f"{where}.{key}" if where else str(key)
            check_text(key, name)
            check_text(inner, name)
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            check_text(inner, f"{where}[{i}]")


def _carried(value: Any) -> bool:
    texts: list[str] = []
    _texts(value, texts)
    return NOT_XML.search("".join(texts)) is None  # one search over all of them


def _texts(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, list | tuple):
        for inner in value:
            _texts(inner, out)
    elif isinstance(value, dict | Mapping):  # dict first: the ABC check only for other values
        for key, inner in value.items():
            _texts(key, out)
            _texts(inner, out)


# the wire's words for a type, not Python's
