"""Run the cross-profile comparison after every profile's scenarios, and print the coverage table."""

from __future__ import annotations

import pytest

from adapters.xml.operations import XmlOrderOperations
from core.domain.errors import ERROR_KINDS
from tests.conformance import runner, traces

COMPARISON = "test_profiles_agree.py"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    items.sort(key=lambda item: item.path.name == COMPARISON)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not runner.TRACES:
        return
    operations, errors = traces.coverage(runner.TRACES)
    write = terminalreporter.write_line
    terminalreporter.section("conformance coverage (steps run per profile)")
    write(traces.table("operation", XmlOrderOperations.operation_names(), operations, traces.PROFILES))
    write("")
    kinds = [k.kind for k in ERROR_KINDS]
    write(traces.table("error kind", kinds, errors, traces.PROFILES))
