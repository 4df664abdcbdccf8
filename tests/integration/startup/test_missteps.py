"""Every misstep of a first run, tried as a new user would: one clear line and the documented exit code.

Exit 2: fix the settings or the deployment (no retry helps); exit 1: the
database or broker stayed out of reach for ``ORDERGATE_STARTUP_WAIT_SECONDS``.
"""

from __future__ import annotations

import socket
import time

import aiohttp
import pytest

from adapters.sql import migrate
from adapters.sql.migrate import head_revision
from tests.conftest import PG_SERVER, create_database, drop_database
from tests.integration.startup.process import Served, one_line, ordergate
from tests.prefix import name

SQLITE = "sqlite+aiosqlite:///ordergate.db"


def test_version(tmp_path):
    done = ordergate("--version", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stdout.startswith("ordergate ")


def test_every_unusable_setting_is_named_at_once_and_none_is_taken(tmp_path):
    done = ordergate(
        "serve",
        cwd=tmp_path,
        ORDERGATE_MAX_BODY_BYTES="-5",
        ORDERGATE_AUTO_START="maybe",
        ORDERGATE_DATABASE_URL="postgresql://og:s3cret@db.example.net/og",
        ORDERGATE_AMQP_URL="rabbit://og:s3cret@broker.example.net/",
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 4, done.stderr
    assert "ORDERGATE_MAX_BODY_BYTES must be at least 1024, not '-5'" in done.stderr
    assert "ORDERGATE_AUTO_START must be true or false" in done.stderr
    assert "write postgresql+asyncpg:// instead of postgresql://" in done.stderr
    assert "write amqp://" in done.stderr
    assert "s3cret" not in done.stderr
    assert not (tmp_path / "ordergate.db").exists()


def test_a_garbage_database_url_is_one_line(tmp_path):
    done = ordergate("migrate", "--database-url", "not a url", cwd=tmp_path)
    assert done.returncode == 2
    assert "is not a database URL" in one_line(done)


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = ordergate("serve", "--port", str(port), cwd=tmp_path)
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in one_line(done)


def test_a_host_that_does_not_resolve_is_one_line(tmp_path):
    done = ordergate("serve", "--host", "nowhere.invalid", cwd=tmp_path)
    assert done.returncode == 2
    assert "'nowhere.invalid' does not resolve" in one_line(done)


@pytest.mark.parametrize(("content", "words"), [(None, "No such file"), ("{not json", "credentials file")])
def test_a_credentials_file_that_cannot_be_read_is_one_line(tmp_path, content, words):
    path = tmp_path / "credentials.json"
    if content is not None:
        path.write_text(content)
    done = ordergate("serve", cwd=tmp_path, ORDERGATE_CREDENTIALS=str(path))
    assert done.returncode == 2
    assert words in one_line(done)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("version: 1\nproducts: [{id: p, realizedBy: [{part: a, kind: serviceOrder, specification: {id: x},"
         " dependsOn: [zz]}]}]\n", "catalog entry products[0] (p): part 'a' depends on unknown part(s) zz"),
        ("version: 1\nservices: {id: s}\n", "catalog entry services"),
        ("[not: yaml", "not valid YAML"),
    ],
)
def test_a_bad_catalog_stops_serve_naming_the_entry(tmp_path, content, words):
    path = tmp_path / "catalog.yaml"
    path.write_text(content)
    done = ordergate("serve", cwd=tmp_path, ORDERGATE_CATALOG=str(path))
    assert done.returncode == 2
    assert words in one_line(done)


async def test_the_embedded_sqlite_file_is_created_and_said_so_then_served_and_stopped(tmp_path):
    served = Served(tmp_path, "--port", "0")
    try:
        http_url = await served.http_url()
        async with aiohttp.ClientSession() as http, http.get(f"{http_url}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["checks"] == {"database": True, "schema": True}
    finally:
        assert await served.stop() == 0
    log = served.text()
    assert f"created the schema at revision {head_revision()} (serve brings the embedded SQLite file" in log
    assert "AMQP off" in log
    assert "1 process" in log
    assert "events still owed to consumers wait in the outbox" in log
    assert "stopped" in log.splitlines()[-1]
    assert "Traceback" not in log


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_schema_ahead_of_the_code_is_refused_by_serve_and_migrate(tmp_path, store):
    url = f"sqlite+aiosqlite:///{tmp_path}/ordergate.db" if store == "sqlite" else create_database()
    try:
        migrate(url)
        await _set_revision(url, "9999_from_the_future")
        for command in ("serve", "migrate"):
            done = ordergate(command, "--database-url", url, cwd=tmp_path)
            assert done.returncode == 2, done.stderr
            assert "9999_from_the_future, which this version does not know" in one_line(done)
    finally:
        if store == "postgres":
            drop_database(url)


async def _set_revision(url: str, revision: str) -> None:
    from sqlalchemy import text

    from adapters.sql import SqlaOrderStore

    store = SqlaOrderStore(url, native=False)
    try:
        async with store.engine.begin() as conn:
            await conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    finally:
        await store.close()


@pytest.mark.postgres
def test_a_fresh_postgres_database_is_refused_until_migrated_and_migrate_says_what_it_did(tmp_path):
    url = create_database()
    try:
        done = ordergate("serve", "--database-url", url, "--port", "0", cwd=tmp_path)
        assert done.returncode == 2
        assert "no schema yet" in (line := one_line(done))
        assert "run `ordergate migrate` first" in line
        head = head_revision()
        migrate(url, "0001")
        done = ordergate("migrate", "--database-url", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"migrated the schema from revision 0001 to {head}" in done.stdout
        done = ordergate("migrate", "--database-url", url, cwd=tmp_path)
        assert f"nothing to do: the schema is already at revision {head}" in done.stdout
    finally:
        drop_database(url)


@pytest.mark.postgres
def test_migrate_creates_the_schema_of_an_empty_database(tmp_path):
    url = create_database()
    try:
        done = ordergate("migrate", "--database-url", url, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert f"created the schema at revision {head_revision()}" in done.stdout
        assert "Traceback" not in done.stderr
    finally:
        drop_database(url)


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"{PG_SERVER.rstrip('/')}/{name('missing')}", "does not exist: create it"),
        (
            PG_SERVER.replace("//postgres@", f"//{name('nobody')}@").rstrip("/") + "/postgres",
            "refused the user",
        ),
    ],
)
def test_a_missing_database_or_role_is_refused_at_once(tmp_path, url, words):
    started = time.monotonic()
    done = ordergate("serve", "--database-url", url, cwd=tmp_path, ORDERGATE_STARTUP_WAIT_SECONDS="60")
    assert done.returncode == 2
    assert words in one_line(done)
    assert time.monotonic() - started < 30, "a refusal is not waited for"


def test_an_unreachable_database_is_waited_for_a_bounded_time_then_given_up(tmp_path):
    url = "postgresql+asyncpg://postgres:s3cret@127.0.0.1:1/og"
    done = ordergate("serve", "--database-url", url, cwd=tmp_path, ORDERGATE_STARTUP_WAIT_SECONDS="2")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "unreachable ([Errno 111]" in done.stderr
    assert "trying again in 1 s" in done.stderr
    assert "unreachable for 2 s" in one_line(done)
    assert "s3cret" not in done.stderr


@pytest.mark.rabbitmq
@pytest.mark.parametrize(
    ("credentials", "vhost", "words"),
    [
        ("guest:wrong", None, "the broker refused user 'guest': wrong user name or password"),
        ("guest:guest", "no_such_vhost", "the broker refused vhost 'no_such_vhost'"),
    ],
)
def test_a_broker_that_refuses_the_gateway_is_fatal_at_once(tmp_path, amqp_url, credentials, vhost, words):
    url = amqp_url.replace("guest:guest", credentials)
    if vhost is not None:
        url = url.rsplit("/", 1)[0] + "/" + vhost
    started = time.monotonic()
    done = ordergate("serve", "--amqp-url", url, cwd=tmp_path, ORDERGATE_STARTUP_WAIT_SECONDS="60")
    assert done.returncode == 2
    assert words in one_line(done)
    assert time.monotonic() - started < 30
    assert "wrong@" not in done.stderr


def test_an_unreachable_broker_is_waited_for_then_given_up(tmp_path):
    url = "amqp://guest:s3cret@127.0.0.1:1/"
    done = ordergate("serve", "--amqp-url", url, cwd=tmp_path, ORDERGATE_STARTUP_WAIT_SECONDS="2")
    assert done.returncode == 1
    assert "broker amqp://guest@127.0.0.1:1/ unreachable for 2 s" in one_line(done)
    assert "s3cret" not in done.stderr


def test_a_worker_count_below_one_is_refused(tmp_path):
    done = ordergate("serve", "--workers", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert one_line(done) == "ordergate serve: --workers must be at least 1, not '0'"
