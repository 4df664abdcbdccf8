"""The cross-profile map (docs/profiles.md) is generated from the code and matches what is served."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from adapters.rest.operations import BY_OPERATION, NOT_CARRIED
from adapters.rest.vocabulary import KINDS
from adapters.xml.operations import XmlOrderOperations
from ordergate import profilemap
from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings


def test_the_committed_page_is_what_the_code_generates():
    assert profilemap.DOC.read_text() == profilemap.render(), (
        "docs/profiles.md is stale: run `python -m ordergate.profilemap`"
    )


def test_every_operation_is_mapped_for_rest_or_said_not_to_be():
    assert set(BY_OPERATION) | set(NOT_CARRIED) == set(XmlOrderOperations.operation_names())
    assert not set(BY_OPERATION) & set(NOT_CARRIED)


@pytest.mark.parametrize("operation", sorted(BY_OPERATION))
async def test_the_rest_request_of_each_operation_is_served(operation, tmp_path):
    app = build_app(GatewaySettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"))
    method, template, _how = BY_OPERATION[operation]
    for tk in KINDS.values():
        path = (
            template.replace("{base}", tk.base_path.rstrip("/"))
            .replace("{kind}", tk.kind.value)
            .replace("{Kind}", tk.kind.base_type)
            .replace("{id}", "some-order-id")
        )
        match = await app.router.resolve(make_mocked_request(method, path, app=app))
        assert match.http_exception is None, f"{operation}: {method} {path} is not served"
