"""What every client text and value must keep, whichever profile carried it.

XML 1.0 has no place for some characters, so a text holding one could not
be answered or announced by the XML profiles: no profile accepts it.  Every
text is bounded (``limits.MAX_TEXT``) and client data nests at most
``limits.MAX_JSON_DEPTH`` deep, so that no value costs more to walk, store or
render than its size says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core.document import limits
from core.domain.errors import IllegalAttributeValue, Path, Problem

# Characters XML 1.0 cannot carry.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_text(value: Any, where: str = "") -> None:
    """IllegalAttributeValue when a client's text (or any text inside a value) breaks the rules.
    Client input only: stored documents are not judged again."""
    problems = text_problems(value)
    if problems:
        path = (where, *problems[0].path) if where else problems[0].path
        raise IllegalAttributeValue(".".join(str(p) for p in path) or "value", problems[0].text)


def text_problems(value: Any) -> list[Problem]:
    """Every text that XML cannot carry or that is too long, and every value nested too deep."""
    texts: list[str] = []
    deepest = _texts(value, texts, 0)
    joined = "".join(texts)
    if (
        NOT_XML.search(joined) is None
        and deepest <= limits.MAX_JSON_DEPTH
        and max(map(len, texts), default=0) <= limits.MAX_TEXT
    ):
        return []  # the usual case, without building a path for every node
    problems: list[Problem] = []
    _explain(value, (), 0, problems)
    return problems


def _texts(value: Any, out: list[str], depth: int) -> int:
    """Collect every text (keys too); returns how deep the value nests."""
    if isinstance(value, str):
        out.append(value)
        return depth
    deepest = depth
    if isinstance(value, list | tuple):
        for inner in value:
            deepest = max(deepest, _texts(inner, out, depth + 1))
    elif isinstance(value, dict | Mapping):  # dict first: the ABC check only for other values
        for key, inner in value.items():
            out.append(key)
            deepest = max(deepest, _texts(inner, out, depth + 1))
    return deepest


def _explain(value: Any, path: Path, depth: int, out: list[Problem]) -> None:
    if depth > limits.MAX_JSON_DEPTH:
        out.append(Problem(path, f"nests deeper than {limits.MAX_JSON_DEPTH} levels"))
        return
    if isinstance(value, str):
        if NOT_XML.search(value):
            out.append(Problem(path, "holds control characters that XML cannot carry"))
        elif len(value) > limits.MAX_TEXT:
            out.append(Problem(path, f"is longer than {limits.MAX_TEXT} characters"))
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            _explain(inner, (*path, i), depth + 1, out)
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            _explain(key, (*path, key), depth + 1, out)
            _explain(inner, (*path, key), depth + 1, out)
