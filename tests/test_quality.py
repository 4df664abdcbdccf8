"""Lint, types and the import contracts are part of the test command."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing():
    result = _run(sys.executable, "-m", "ruff", "check", "core", "adapters", "ordergate", "bench", "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_core_is_strictly_typed():
    result = _run(sys.executable, "-m", "mypy", "core")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("lint-imports") is None, reason="import-linter not installed")
def test_import_contracts_hold():
    result = _run("lint-imports")
    assert result.returncode == 0, result.stdout + result.stderr
