"""The gateway's log: text or JSON lines, request ids, no secrets, one line per outage change.

``configure`` sets up the root logger once per process (``serve``, ``migrate``,
``check``).  Every line names the request it was written for (the
``REQUEST_ID`` context variable: REST's ``X-Request-ID``, AMQP's
``correlation_id``), so a caller's id finds every line about its request.
``ORDERGATE_LOG_FORMAT=json`` writes one JSON object per line for a log
shipper.  Both forms pass through ``redact``: passwords in URLs, bearer
tokens and API keys never reach the log, even inside an exception's text.

``OutageFold`` takes out the records that are a database or broker outage
(a background worker's traceback every half second, a warning per requeued
request, the client library's reconnect messages) and hands them to the
gateway's ``Outages``, which logs the state changes instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from typing import Any

from core.usecases.correlation import REQUEST_ID
from ordergate.outage import Outages, dependency_of, short

_SECRETS = [
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]*:)[^@\s/]+@"), r"\1***@"),
    (re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?)(bearer\s+|basic\s+)?[^\s\"',;]+"), r"\1\2***"),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer ***"),
    (
        re.compile(r"(?i)\b(password|passwd|api[_-]?key|secret)([\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"),
        r"\1\2***",
    ),
]
# the client library's own reconnect chatter: a broker outage, told by ``Outages`` instead
_BROKER_LOGGERS = ("aio_pika", "aiormq")


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def _worker() -> str | None:
    return os.environ.get("ORDERGATE_WORKER")


class TextFormatter(logging.Formatter):
    """``time level logger [request id]: message``, secrets masked."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        worker, request = _worker(), REQUEST_ID.get()
        parts = ([f"worker {worker}"] if worker else []) + ([f"request {request}"] if request else [])
        record.context = f" [{', '.join(parts)}]" if parts else ""
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, worker, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if (request := REQUEST_ID.get()) is not None:
            entry["request_id"] = request
        if (worker := _worker()) is not None:
            entry["worker"] = worker
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class OutageFold(logging.Filter):
    """Takes the records that report a database or broker outage out of the log, into ``Outages``.

    Until ``outages`` is set (before the gateway is built) records pass untouched."""

    def __init__(self) -> None:
        super().__init__()
        self.outages: Outages | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.outages is None or record.levelno < logging.INFO:
            return True
        found = self._outage(record)
        if found is None:
            return True
        self.outages.failed(*found)
        return False

    @staticmethod
    def _outage(record: logging.LogRecord) -> tuple[str, str] | None:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            dependency = dependency_of(error)
            return None if dependency is None else (dependency, short(error))
        for arg in record.args if isinstance(record.args, tuple) else ():
            if isinstance(arg, BaseException) and (dependency := dependency_of(arg)) is not None:
                return dependency, short(arg)
        if record.name.startswith(_BROKER_LOGGERS) and record.levelno >= logging.INFO:
            return "broker", " ".join(record.getMessage().split())[:300]
        return None


def configure(log_format: str = "text", level: str = "info") -> OutageFold:
    """Log to standard error in ``log_format``; returns the outage filter, for the gateway to fill."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    fold = OutageFold()
    handler.addFilter(fold)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.getLogger("spyne").setLevel(logging.WARNING)  # its start-up chatter says nothing to operators
    return fold
