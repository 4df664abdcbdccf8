"""``ordergate`` as an operator runs it: a process of its own, a clean environment, its log read back."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path


def environment(**settings: str) -> dict[str, str]:
    """The test's environment without any ORDERGATE_ setting, with ``settings`` instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERGATE_")}
    return env | settings


def ordergate(
    *args: str, cwd: Path, seconds: float = 90, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run ``ordergate <args>`` to its end."""
    return subprocess.run(
        [sys.executable, "-m", "ordergate.cli", *args],
        env=environment(**settings),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=seconds,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused start ends with: no traceback, nothing else on standard error."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("ordergate ")]
    assert len(lines) == 1, done.stderr
    return lines[0]


class Served:
    """``ordergate serve`` running in ``cwd``, its standard error in ``gateway.log``."""

    def __init__(self, cwd: Path, *args: str, **settings: str) -> None:
        self.log = cwd / "gateway.log"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "ordergate.cli", "serve", *args],
                env=environment(**settings),
                cwd=cwd,
                stdout=out,
                stderr=out,
            )

    def text(self) -> str:
        return self.log.read_text()

    async def wait_for(self, words: str, seconds: float = 60.0) -> str:
        """Until ``words`` are in the log (the whole log then); fails if the gateway exits first."""
        deadline = asyncio.get_running_loop().time() + seconds
        while words not in self.text():
            assert self.process.poll() is None, (
                f"the gateway exited ({self.process.returncode}):\n{self.text()}"
            )
            assert asyncio.get_running_loop().time() < deadline, f"no {words!r} in:\n{self.text()}"
            await asyncio.sleep(0.1)
        return self.text()

    async def http_url(self) -> str:
        """Where it said it serves REST (it listens on a port of the system's choosing)."""
        text = await self.wait_for("REST http://")
        found = re.search(r"REST (http://[^/\s]+)/tmf-api", text)
        assert found is not None, text
        return found.group(1)

    async def stop(self, seconds: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.process.wait, seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            await asyncio.to_thread(self.process.wait)
            raise AssertionError(f"the gateway did not stop on SIGTERM:\n{self.text()}") from None
