"""``ORDERGATE_AMQP_QUEUE_TYPE=quorum``: the request and dead-letter queues are RabbitMQ quorum queues,
requests are answered through them, and ``ordergate check`` declares them the same way."""

from __future__ import annotations

import pytest

from tests.amqp_broker import Requester, ctl
from tests.amqp_gateway import served_schema
from tests.integration.startup.process import Served, ordergate

pytestmark = [pytest.mark.postgres, pytest.mark.rabbitmq]


def queue_types(vhost: str) -> dict[str, str]:
    listed = ctl("list_queues", "-p", vhost, "--quiet", "--no-table-headers", "name", "type")
    return dict(line.split("\t")[:2] for line in listed.splitlines() if "\t" in line)


async def test_quorum_queues_are_declared_and_serve(ops_database, ops_amqp_url, ops_vhost, tmp_path):
    settings = {
        "ORDERGATE_DATABASE_URL": ops_database,
        "ORDERGATE_AMQP_URL": ops_amqp_url,
        "ORDERGATE_AMQP_QUEUE_TYPE": "quorum",
    }
    served = Served(tmp_path, ORDERGATE_PORT="0", **settings)
    try:
        url = await served.http_url()
        await served.wait_for("answering requests on ordergate.requests")
        assert "quorum queues" in served.text()
        types = queue_types(ops_vhost)
        assert types["ordergate.requests"] == "quorum"
        assert types["ordergate.requests.dlq"] == "quorum"
        requester = await Requester(ops_amqp_url, await served_schema(url)).open()
        try:
            reply = await requester.call("getOrderTypes")
        finally:
            await requester.close()
        assert reply.name == "getOrderTypesResponse"
    finally:
        assert await served.stop() == 0, served.text()
    checked = ordergate("check", cwd=tmp_path, **settings)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_queue_type_other_than_classic_or_quorum_is_refused(tmp_path):
    done = ordergate("serve", cwd=tmp_path, ORDERGATE_AMQP_QUEUE_TYPE="stream")
    assert done.returncode == 2
    assert "ORDERGATE_AMQP_QUEUE_TYPE must be one of 'classic' or 'quorum'" in done.stderr
