"""Schemathesis over the four official TMF files (TMF622, TMF641, TMF652, TMF697 v4, as shipped in
``core/document/tmf``), positive and negative: requests a partner's tool would generate from
the standard alone, without our additions (dryRun, If-Match, merge patch).

Answers are validated against the unmodified official operations.  The
gateway runs on the embedded SQLite store here (the other REST fuzzer runs on
PostgreSQL).  What is checked for each answer: ``tests/fuzz/rest.py``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.rest.openapi import tmf_spec
from adapters.rest.vocabulary import KINDS, TmfKind
from tests.fuzz.budget import fuzz_settings
from tests.fuzz.rest import HUB_NETWORKS, capped, cases, send
from tests.fuzz.served import ThreadedGateway
from tests.integration.rest.tmf import quiet_import

pytestmark = pytest.mark.filterwarnings("ignore:_SixMetaPathImporter.find_spec:ImportWarning")

schemathesis = quiet_import("schemathesis")
GenerationMode = schemathesis.GenerationMode
# the gateway calls the /listener/ paths (hub notifications): it does not serve them
OPERATIONS = [
    pytest.param(tk, method, path, mode, id=f"{tk.api}-{operation_id}-{mode}")
    for tk in KINDS.values()
    for method, path, mode, operation_id in cases(tmf_spec(tk)["paths"])
]


class Official:
    """Each API's file as shipped (to validate with) and capped (to generate from)."""

    def __init__(self, gateway: ThreadedGateway) -> None:
        self.gateway = gateway
        self._schemas: dict[str, tuple[Any, Any]] = {}

    def schemas(self, tk: TmfKind) -> tuple[Any, Any]:
        if tk.api not in self._schemas:
            spec = tmf_spec(tk)
            load = schemathesis.openapi.from_dict
            self._schemas[tk.api] = (load(capped(spec)), load(spec))
        return self._schemas[tk.api]


@pytest.fixture(scope="module")
def official(sqlite_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Official]:
    path = tmp_path_factory.mktemp("fuzz-tmf") / "ordergate.db"
    shutil.copyfile(sqlite_template, path)
    with ThreadedGateway(
        f"sqlite+aiosqlite:///{path}",
        hub_allowed_networks=HUB_NETWORKS,
        hub_max_subscriptions_per_client=100_000,
    ) as gateway:
        yield Official(gateway)


@pytest.mark.parametrize(("tk", "method", "path", "mode"), OPERATIONS)
@fuzz_settings()
@given(data=st.data())
def test_no_request_answers_5xx_or_off_the_official_schema_and_a_refused_one_changes_nothing(
    official: Official, tk: TmfKind, method: str, path: str, mode: str, data: Any
):
    generating, validating = official.schemas(tk)
    case = data.draw(generating[path][method].as_strategy(generation_mode=GenerationMode(mode)), label="case")
    base = official.gateway.url + tk.base_path
    send(official.gateway, case, validating[path][method], base, tk.base_path + path)
