"""Every setting validated at start: type, range, URL driver and scheme, each problem named with its fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ordergate.settings import GatewaySettings, SettingsError, environment_names, unknown_variables

README = Path(__file__).resolve().parents[3] / "README.md"
OPERATIONS = Path(__file__).resolve().parents[3] / "docs" / "operations.md"


def problems(environ: dict[str, str], **flags: object) -> list[str]:
    with pytest.raises(SettingsError) as refused:
        GatewaySettings.from_env(environ, **flags)
    return refused.value.problems


def test_the_defaults_are_the_embedded_gateway():
    settings = GatewaySettings.from_env({})
    assert settings.database_url == "sqlite+aiosqlite:///ordergate.db"
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8080, 1)
    assert settings.amqp_url is None
    assert settings.log_format == "text"


def test_built_directly_the_model_reads_no_environment(monkeypatch):
    monkeypatch.setenv("ORDERGATE_PORT", "9999")
    monkeypatch.setenv("ORDERGATE_AMQP_URL", "amqp://guest:guest@127.0.0.1/")
    settings = GatewaySettings(database_url="sqlite+aiosqlite:///x.db", extra={"rest.max_limit": "5"})
    assert settings.port == 8080
    assert settings.amqp_url is None
    assert settings.extra == {"rest.max_limit": "5"}


def test_every_variable_is_read_and_flags_override_the_environment():
    environ = {
        "ORDERGATE_DATABASE_URL": "postgresql+asyncpg://u:p@db.example.net/og",
        "ORDERGATE_AMQP_URL": "amqps://u:p@broker.example.net/og",
        "ORDERGATE_PORT": "9090",
        "ORDERGATE_CREDENTIALS": "/etc/ordergate/credentials.json",
        "ORDERGATE_AUTO_START": "yes",
        "ORDERGATE_LOG_FORMAT": "JSON",
        "ORDERGATE_STARTUP_WAIT_SECONDS": "2.5",
        "ORDERGATE_EXTRA": '{"not": "read"}',
    }
    settings = GatewaySettings.from_env(environ, port="7070", workers=None)
    assert settings.port == 7070
    assert settings.credentials_path == "/etc/ordergate/credentials.json"
    assert settings.auto_start is True
    assert settings.log_format == "json"
    assert settings.startup_wait_seconds == 2.5
    assert settings.extra == {}


def test_an_empty_variable_is_unset():
    assert GatewaySettings.from_env({"ORDERGATE_AMQP_URL": "", "ORDERGATE_PORT": ""}).port == 8080


def test_every_problem_is_listed_at_once_with_its_variable():
    found = problems(
        {
            "ORDERGATE_MAX_BODY_BYTES": "-5",
            "ORDERGATE_AUTO_START": "maybe",
            "ORDERGATE_PORT": "http",
            "ORDERGATE_WORKERS": "0",
            "ORDERGATE_LOG_LEVEL": "loud",
        }
    )
    assert "ORDERGATE_MAX_BODY_BYTES must be at least 1024, not '-5'" in found
    assert any(p.startswith("ORDERGATE_AUTO_START must be true or false") for p in found)
    assert "ORDERGATE_PORT must be an integer, not 'http'" in found
    assert "ORDERGATE_WORKERS must be at least 1, not '0'" in found
    assert any(p.startswith("ORDERGATE_LOG_LEVEL must be one of") for p in found)
    assert len(found) == 5


def test_a_flag_is_named_as_a_flag():
    assert problems({}, port="70000") == ["--port must be at most 65535, not '70000'"]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("postgresql://og:secret@db/og", "write postgresql+asyncpg:// instead of postgresql://"),
        ("postgres://og:secret@db/og", "write postgresql+asyncpg:// instead of postgres://"),
        ("postgresql+psycopg2://og@db/og", "names driver psycopg2"),
        ("sqlite:///ordergate.db", "write sqlite+aiosqlite:// instead of sqlite://"),
        ("mysql://og@db/og", "mysql is not supported"),
        ("garbage", "is not a database URL"),
        ("postgresql+asyncpg://og@db:port/og", "is not a database URL"),
        ("postgresql+asyncpg://og@db/", "names no database"),
        ("sqlite+aiosqlite:///:memory:", "names no file"),
    ],
)
def test_a_database_url_the_gateway_cannot_use_is_refused_with_the_fix(url: str, words: str):
    (found,) = problems({"ORDERGATE_DATABASE_URL": url})
    assert found.startswith("ORDERGATE_DATABASE_URL: ")
    assert words in found
    assert "secret" not in found


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("rabbit://guest:secret@broker/", "begins with rabbit://: write amqp://"),
        ("http://broker/", "begins with http://"),
        ("amqp://broker:port/", "is not a broker URL"),
        ("amqp:///vhost", "names no host"),
    ],
)
def test_a_broker_url_the_gateway_cannot_use_is_refused_with_the_fix(url: str, words: str):
    (found,) = problems({"ORDERGATE_AMQP_URL": url})
    assert found.startswith("ORDERGATE_AMQP_URL: ")
    assert words in found
    assert "secret" not in found


def test_other_unusable_values():
    assert any("only" in p for p in problems({"ORDERGATE_SWITCHED_OFF": "startOrderByKey"}))
    assert problems({"ORDERGATE_HOST": "my host"}) == [
        "ORDERGATE_HOST: must be a host name or address, without spaces"
    ]
    assert problems({"ORDERGATE_PORT": "0", "ORDERGATE_WORKERS": "2"}) == [
        "ORDERGATE_PORT 0 (any free port) cannot be shared by several workers"
    ]
    assert problems({"ORDERGATE_PUBLIC_URL": "orders.example.com"}) == [
        "ORDERGATE_PUBLIC_URL: must be an http:// or https:// URL with a host, e.g. https://orders.example.com"
    ]
    assert GatewaySettings.from_env({"ORDERGATE_PUBLIC_URL": "https://o.example/"}).public_url == "https://o.example"
    assert problems({"ORDERGATE_STARTUP_WAIT_SECONDS": "-1"})[0].startswith(
        "ORDERGATE_STARTUP_WAIT_SECONDS must be"
    )


def test_a_variable_that_is_no_setting_is_named_with_the_likely_one():
    found = unknown_variables(
        {"ORDERGATE_DATABSE_URL": "x", "ORDERGATE_TEST_PG": "y", "ORDERGATE_WORKER": "1"}
    )
    assert found == ["ORDERGATE_DATABSE_URL is not a setting (did you mean ORDERGATE_DATABASE_URL?)"]


@pytest.mark.parametrize("doc", [README, OPERATIONS], ids=["README", "operations"])
def test_the_documented_variables_are_the_models(doc: Path):
    text = doc.read_text()
    section = text[text.index("| variable |") :]
    table = section[: section.index("\n\n")]
    documented = re.findall(r"^\| `(ORDERGATE_[A-Z_]+)`", table, flags=re.M)
    documented += re.findall(r"^\| `ORDERGATE_[A-Z_]+` / `(ORDERGATE_[A-Z_]+)`", table, flags=re.M)
    assert sorted(set(documented)) == sorted(environment_names())


def test_the_hub_delivery_bounds_are_read_from_the_environment_and_checked():
    settings = GatewaySettings.from_env({"ORDERGATE_HUB_TIMEOUT_SECONDS": "2.5", "ORDERGATE_HUB_MAX_ATTEMPTS": "3"})
    assert (settings.hub_timeout_seconds, settings.hub_max_attempts) == (2.5, 3)
    found = problems({"ORDERGATE_HUB_TIMEOUT_SECONDS": "0", "ORDERGATE_HUB_MAX_ATTEMPTS": "0"})
    assert "ORDERGATE_HUB_TIMEOUT_SECONDS must be at least 0.1, not '0'" in found
    assert "ORDERGATE_HUB_MAX_ATTEMPTS must be at least 1, not '0'" in found
