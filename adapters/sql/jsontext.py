"""JSON text of the stored documents (orders, outbox payloads, request results).

orjson writes and reads them several times faster than the standard library,
which mattered: each create writes the order document three times (the row,
the event payload and the recorded result).  A value orjson refuses -- an
integer beyond 64 bits, which a client may send as a quantity -- falls back to
the standard library, so what is accepted stays the same.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)
