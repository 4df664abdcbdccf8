"""The log: no secrets, the request id on every line, JSON when asked, one line per outage change."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from core.domain.errors import Unavailable
from core.usecases.correlation import REQUEST_ID
from ordergate.logs import JsonFormatter, OutageFold, TextFormatter, redact
from ordergate.outage import Outages


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("connecting to postgresql+asyncpg://og:s3cret@db/og", "postgresql+asyncpg://og:***@db/og", "s3cret"),
        ("broker amqp://guest:hunter2@broker:5672/vh down", "amqp://guest:***@broker", "hunter2"),
        ("headers {'Authorization': 'Bearer abcdef123456'}", "Authorization': '", "abcdef123456"),
        ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic ***", "dXNlcjpwYXNz"),
        ("sent bearer tok.en-value_42 to hub", "Bearer ***", "tok.en-value_42"),
        ("dsn host=db password=letmein user=og", "password=***", "letmein"),
        ("api_key=k-123 apiKey: k-456", "api_key=***", "k-123"),
    ],
)
def test_secrets_never_reach_the_log(text: str, kept: str, gone: str):
    masked = redact(text)
    assert kept in masked
    assert gone not in masked


def record(
    message: str, *args: object, exc: BaseException | None = None, name: str = "adapters.x"
) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord(name, logging.ERROR, __file__, 1, message, args, exc_info)


def test_a_json_line_carries_the_request_id_and_masks_secrets():
    token = REQUEST_ID.set("req-42")
    try:
        try:
            raise ValueError("amqp://u:pw@broker/ refused")
        except ValueError as e:
            line = JsonFormatter().format(record("calling %s", "postgresql+asyncpg://u:pw@db/og", exc=e))
    finally:
        REQUEST_ID.reset(token)
    entry = json.loads(line)
    assert entry["request_id"] == "req-42"
    assert entry["level"] == "error"
    assert entry["message"] == "calling postgresql+asyncpg://u:***@db/og"
    assert "ValueError" in entry["exception"]
    assert "pw@" not in line
    assert "\n" not in line


def test_a_text_line_names_the_request():
    token = REQUEST_ID.set("abc")
    try:
        line = TextFormatter().format(record("hello"))
    finally:
        REQUEST_ID.reset(token)
    assert "adapters.x [request abc]: hello" in line


def database_down() -> Unavailable:
    try:
        try:
            raise ConnectionRefusedError("[Errno 111] Connect call failed")
        except ConnectionRefusedError as e:
            raise Unavailable(f"database unavailable: {e}") from e
    except Unavailable as e:
        return e


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_one_line_down_one_every_interval_and_one_back(caplog):
    caplog.set_level(logging.INFO, logger="ordergate.outage")
    clock = Clock()
    fold = OutageFold()
    fold.outages = Outages(every=60.0, clock=clock)
    error = database_down()
    for second in range(150):  # a failing background round every second for two and a half minutes
        clock.now = 1000.0 + second
        assert fold.filter(record("hub dispatcher: round failed; retrying", exc=error)) is False
        assert fold.filter(record("request %s goes back to the queue: %s", "m1", error)) is False
    fold.outages.note({"database": None})
    lines = [r.getMessage() for r in caplog.records if r.name == "ordergate.outage"]
    assert len(lines) == 4, lines
    assert lines[0].startswith("database unavailable: [Errno 111] Connect call failed; meanwhile")
    assert "REST answers 503" in lines[0]
    assert lines[1].startswith("database still unavailable after 60 s")
    assert lines[2].startswith("database still unavailable after 120 s")
    assert lines[3] == "database available again after 149 s"


def test_other_failures_pass_through_the_fold():
    fold = OutageFold()
    fold.outages = Outages()
    with pytest.raises(KeyError) as bug:
        raise KeyError("bug")
    assert fold.filter(record("REST GET / failed", exc=bug.value)) is True
    assert fold.filter(record("a plain warning")) is True


def test_the_client_librarys_reconnect_chatter_is_a_broker_outage(caplog):
    caplog.set_level(logging.INFO, logger="ordergate.outage")
    fold = OutageFold()
    fold.outages = Outages()
    chatter = record(
        'Connection attempt to "amqp://g:******@h/" failed: refused. Reconnecting after 1 seconds.',
        name="aio_pika.robust_connection",
    )
    assert fold.filter(chatter) is False
    assert fold.filter(chatter) is False
    (line,) = [r.getMessage() for r in caplog.records if r.name == "ordergate.outage"]
    assert line.startswith("broker unavailable: Connection attempt")


def test_the_fold_lets_everything_through_until_the_gateway_is_built():
    assert OutageFold().filter(record("x", exc=database_down())) is True


def test_stderr_is_where_the_log_goes(monkeypatch):
    from ordergate import logs

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logs.configure("json", "warning")
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        assert handler.stream is sys.stderr
        assert isinstance(handler.formatter, JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
