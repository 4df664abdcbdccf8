"""The commands the Kubernetes manifests and the Compose file run, run here with their environment
against the local PostgreSQL and RabbitMQ (only the addresses, port and file paths changed): the
migration runs, the gateway serves and is ready, answers the demo key, and stops on SIGTERM in time."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bench.rest import service_order
from tests.amqp_broker import broker_url
from tests.amqp_gateway import throwaway_vhost
from tests.conftest import create_database, drop_database
from tests.integration.amqp.test_process_kill import free_port
from tests.integration.operations.scrape import scrape
from tests.integration.startup.process import Served, ordergate
from tests.unit.deploy.manifests import (
    DEPLOY,
    compose,
    compose_environment,
    container,
    kubernetes_documents,
    kubernetes_environment,
)

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]

DEMO_KEY = "demo-admin-key-change-me"  # the key whose hash the manifests ship


def kubernetes(tmp_path: Path) -> tuple[list[str], list[str], dict[str, str], int]:
    documents = kubernetes_documents()
    secret = documents["Secret/ordergate"]["stringData"]["credentials.json"]
    (tmp_path / "credentials.json").write_text(secret)
    env = kubernetes_environment("Deployment/ordergate")
    assert kubernetes_environment("Job/ordergate-migrate").items() <= env.items()
    grace = documents["Deployment/ordergate"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    migrate = container(documents["Job/ordergate-migrate"])["args"]
    serve = container(documents["Deployment/ordergate"])["args"]
    return migrate, serve, env, grace


def docker_compose(tmp_path: Path) -> tuple[list[str], list[str], dict[str, str], int]:
    (tmp_path / "credentials.json").write_text((DEPLOY / "compose.credentials.json").read_text())
    services = compose()["services"]
    assert compose_environment("migrate") == compose_environment("gateway")
    grace = int(services["gateway"]["stop_grace_period"].removesuffix("s"))
    return (
        services["migrate"]["command"],
        services["gateway"]["command"],
        compose_environment("gateway"),
        grace,
    )


def local(env: dict[str, str], database: str, amqp: str, tmp_path: Path) -> dict[str, str]:
    """The manifest's environment with this machine's services, a free port and local paths."""
    return env | {
        "ORDERGATE_DATABASE_URL": database,
        "ORDERGATE_AMQP_URL": amqp,
        "ORDERGATE_PORT": str(free_port()),
        "ORDERGATE_CREDENTIALS": str(tmp_path / "credentials.json"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }


async def ready(url: str, seconds: float = 90.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(url + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            assert asyncio.get_running_loop().time() < deadline, "never ready"
            await asyncio.sleep(0.5)


async def pools_as_configured(url: str, env: dict[str, str]) -> None:
    """/metrics answers, and shows every worker's asyncpg pool at the configured size."""
    size = int(env.get("ORDERGATE_DATABASE_POOL_SIZE", "20")) * int(env["ORDERGATE_WORKERS"])
    deadline = asyncio.get_running_loop().time() + 30
    while (await scrape(url)).value("ordergate_database_connections_max", pool="asyncpg") != size:
        assert asyncio.get_running_loop().time() < deadline, "the pools are not the size configured"
        await asyncio.sleep(0.5)


@pytest.mark.parametrize("manifests", [kubernetes, docker_compose], ids=["kubernetes", "compose"])
async def test_the_manifests_commands_migrate_serve_and_stop_in_time(
    manifests: Callable[[Path], tuple[list[str], list[str], dict[str, str], int]], tmp_path: Path
):
    migrate, serve, env, grace = manifests(tmp_path)
    assert serve == ["serve"]
    database = create_database("deploy")
    try:
        with throwaway_vhost() as vhost:
            env = local(env, database, broker_url("guest", "guest", vhost), tmp_path)
            done = ordergate(*migrate, cwd=tmp_path, **env)
            assert done.returncode == 0, done.stderr
            assert "created the schema" in done.stdout
            served = Served(tmp_path, **env)
            url = f"http://127.0.0.1:{env['ORDERGATE_PORT']}"
            try:
                await ready(url)
                async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {DEMO_KEY}"}) as http:
                    async with http.get(url + "/healthz") as response:
                        assert response.status == 200
                    await pools_as_configured(url, env)
                    orders = url + "/tmf-api/serviceOrdering/v4/serviceOrder"
                    async with http.post(orders, json=service_order(1)) as response:
                        assert response.status == 201, await response.text()
                    async with (
                        aiohttp.ClientSession() as anonymous,
                        anonymous.post(orders, json={}) as response,
                    ):
                        assert response.status == 401, "with a credentials file every caller needs a key"
            finally:
                started = asyncio.get_running_loop().time()
                assert await served.stop(seconds=grace) == 0, served.text()
                assert asyncio.get_running_loop().time() - started < grace
    finally:
        drop_database(database)
