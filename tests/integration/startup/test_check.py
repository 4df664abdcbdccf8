"""``ordergate check``: a table of what ``serve`` needs; exit 0 when all is ready, 1 at the first problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.amqp_broker import reset_broker
from tests.conftest import create_database, drop_database
from tests.integration.startup.process import ordergate

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


CATALOG = Path(__file__).resolve().parents[3] / "deploy" / "catalog.example.yaml"


def rows(stdout: str) -> dict[str, tuple[str, str]]:
    """check name -> (result, detail), from the table."""
    found = {}
    for line in stdout.splitlines()[1:]:
        name, result, detail = line[:12].strip(), line[13:25].strip(), line[26:].strip()
        found[name] = (result, detail)
    return found


async def test_a_configuration_ready_to_serve(tmp_path, pg_url, amqp_url):
    await reset_broker(amqp_url)
    credentials = tmp_path / "credentials.json"
    credentials.write_text('{"clients": [{"clientId": "acme", "roles": ["client"], "amqpUser": "acme"}]}')
    done = ordergate(
        "check",
        cwd=tmp_path,
        ORDERGATE_DATABASE_URL=pg_url,
        ORDERGATE_AMQP_URL=amqp_url,
        ORDERGATE_CREDENTIALS=str(credentials),
        ORDERGATE_CATALOG=str(CATALOG),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    table = rows(done.stdout)
    assert list(table) == ["settings", "credentials", "catalog", "database", "schema", "broker", "queues"]
    assert "1 product and 2 service entries" in table["catalog"][1]
    assert all(result == "ok" for result, _ in table.values()), done.stdout
    assert "the code's" in table["schema"][1]
    assert "ordergate.requests" in table["queues"][1]
    assert "guest:guest" not in done.stdout


def test_a_bad_catalog_is_named_by_its_entry(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("version: 1\nservices:\n  - id: s\n    realizedBy:\n      - {part: a, kind: productOrder, specification: {id: x}}\n")
    done = ordergate("check", cwd=tmp_path, ORDERGATE_CATALOG=str(catalog))
    assert done.returncode == 1
    result, detail = rows(done.stdout)["catalog"]
    assert result == "FAILED"
    assert "services/0/realizedBy/0/kind" in detail


def test_the_first_problem_ends_the_check(tmp_path, amqp_url):
    url = create_database()
    try:
        done = ordergate("check", cwd=tmp_path, ORDERGATE_DATABASE_URL=url, ORDERGATE_AMQP_URL=amqp_url)
    finally:
        drop_database(url)
    assert done.returncode == 1
    table = rows(done.stdout)
    assert table["database"][0] == "ok"
    assert table["schema"] == (
        "FAILED",
        f"empty (no schema yet; the code needs revision {_head()}): run `ordergate migrate`",
    )
    assert table["broker"] == ("not checked", "")
    assert table["queues"] == ("not checked", "")


def _head() -> str:
    from adapters.sql.migrate import head_revision

    return head_revision()


@pytest.mark.parametrize(
    ("settings", "failed", "words"),
    [
        ({"ORDERGATE_PORT": "http"}, "settings", "ORDERGATE_PORT must be an integer"),
        ({"ORDERGATE_CREDENTIALS": "/nonexistent/credentials.json"}, "credentials", "No such file"),
        (
            {"ORDERGATE_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/og"},
            "database",
            "Connect call failed",
        ),
        ({"ORDERGATE_AMQP_URL": "amqp://guest:wrong@127.0.0.1/"}, "broker", "wrong user name or password"),
    ],
)
def test_each_kind_of_problem_is_its_row(tmp_path, pg_url, settings, failed, words):
    done = ordergate("check", cwd=tmp_path, **{"ORDERGATE_DATABASE_URL": pg_url, **settings})
    assert done.returncode == 1
    table = rows(done.stdout)
    assert table[failed][0] == "FAILED", done.stdout
    assert words in table[failed][1]
    assert "wrong@" not in done.stdout
    assert "Traceback" not in done.stderr
