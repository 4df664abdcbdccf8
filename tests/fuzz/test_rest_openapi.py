"""Schemathesis over the gateway's own OpenAPI document (``GET /openapi.json``), every operation it
describes -- the four TMF APIs with our additions, bulk, history, milestones, hub, cancel tasks,
metadata, templates, the provisioning report, the catalog -- in positive and negative generation.

The gateway runs on PostgreSQL, whose column bounds an unchecked input would
reach.  What is checked for each answer: ``tests/fuzz/rest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from adapters.rest.openapi import build_document
from adapters.sql import migrate
from tests.conftest import create_database, drop_database
from tests.fuzz.budget import REQUEST_SECONDS, fuzz_settings
from tests.fuzz.rest import HUB_NETWORKS, capped, cases, send
from tests.fuzz.served import ThreadedGateway
from tests.integration.rest.tmf import quiet_import

pytestmark = [
    pytest.mark.postgres,
    # spyne (the SOAP profile, in the same application) registers six's importer, which warns
    # when schemathesis imports lazily during a call
    pytest.mark.filterwarnings("ignore:_SixMetaPathImporter.find_spec:ImportWarning"),
]

schemathesis = quiet_import("schemathesis")
GenerationMode = schemathesis.GenerationMode
DOCUMENT = build_document()
OPERATIONS = [
    pytest.param(method, path, mode, id=f"{operation_id}-{mode}")
    for method, path, mode, operation_id in cases(DOCUMENT["paths"])
]


class Served:
    def __init__(self, gateway: ThreadedGateway) -> None:
        self.gateway = gateway
        document = requests.get(f"{gateway.url}/openapi.json", timeout=REQUEST_SECONDS).json()
        self.generating = schemathesis.openapi.from_dict(capped(document))
        self.validating = schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    url = create_database("fuzz")
    try:
        migrate(url)
        # every subscription a positive POST makes is kept: the per-client cap is not what is fuzzed
        with ThreadedGateway(
            url, hub_allowed_networks=HUB_NETWORKS, hub_max_subscriptions_per_client=100_000
        ) as gateway:
            yield Served(gateway)
    finally:
        drop_database(url)


@pytest.mark.parametrize(("method", "path", "mode"), OPERATIONS)
@fuzz_settings()
@given(data=st.data())
def test_no_request_answers_5xx_or_off_its_schema_and_a_refused_one_changes_nothing(
    served: Served, method: str, path: str, mode: str, data: Any
):
    case = data.draw(
        served.generating[path][method].as_strategy(generation_mode=GenerationMode(mode)), label="case"
    )
    send(served.gateway, case, served.validating[path][method], served.gateway.url, path)
