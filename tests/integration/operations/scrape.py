"""Reading ``GET /metrics`` back: samples by name and labels, and every metric name exported."""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


@dataclass
class Scrape:
    text: str

    @property
    def names(self) -> set[str]:
        """Every name a query may select: the families' (``x``), and their samples' as their type
        names them (``x_total``; ``x_bucket``, ``x_sum``, ``x_count``), samples or none yet."""
        found: set[str] = set()
        for family in text_string_to_metric_families(self.text):
            found.add(family.name)
            found.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ()))
            found.update(sample.name for sample in family.samples)
        return found

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples of ``name`` whose labels include ``labels`` (0 when none)."""
        total = 0.0
        for family in text_string_to_metric_families(self.text):
            for sample in family.samples:
                if sample.name == name and labels.items() <= sample.labels.items():
                    total += sample.value
        return total


async def scrape(base_url: str) -> Scrape:
    # a connection of its own: under workers, any of them may answer
    async with aiohttp.ClientSession() as session, session.get(f"{base_url}/metrics") as response:
        assert response.status == 200, await response.text()
        assert response.headers["Content-Type"].startswith("text/plain")
        return Scrape(await response.text())
