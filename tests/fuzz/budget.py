"""How long the fuzzers run: ``ORDERGATE_FUZZ_EXAMPLES`` examples per fuzzed target (docs/testing.md).

The default keeps ``python -m pytest tests/fuzz`` around a minute on two cores;
``ORDERGATE_FUZZ_EXAMPLES=2000`` is the long run.  Every example that fails is
reported by hypothesis with the seed to run it again (``--hypothesis-seed``)
and a ``@reproduce_failure`` blob, and is kept in hypothesis' example database
(``.hypothesis/``), so the next run of the same test tries it first.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

DEFAULT_EXAMPLES = 3
# every request waits at most this long for its answer: a gateway that hangs fails the example
REQUEST_SECONDS = 30.0


def _examples() -> int:
    raw = os.environ.get("ORDERGATE_FUZZ_EXAMPLES", "").strip()
    if not raw:
        return DEFAULT_EXAMPLES
    if not raw.isdigit() or int(raw) < 1:
        raise RuntimeError(f"ORDERGATE_FUZZ_EXAMPLES={raw!r}: a whole number of examples, at least 1")
    return int(raw)


EXAMPLES = _examples()
# The default budget (the README's test command, CI) tries the same examples every run, so a red
# run is the code's doing, not the draw's; a budget given explicitly explores with fresh seeds.
DERANDOMIZE = not os.environ.get("ORDERGATE_FUZZ_EXAMPLES", "").strip()


def fuzz_settings(scale: int = 1) -> settings:
    """``scale`` times the budget's examples; no deadline (the gateway's timing is not what is
    tested, a hang is caught by the request timeout), no shrinking (each step is a round trip to the
    gateway: a failure is reported as found), failures replayed from the database first."""
    return settings(
        max_examples=EXAMPLES * scale,
        deadline=None,
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
        suppress_health_check=list(HealthCheck),
        print_blob=True,
        report_multiple_bugs=False,
        derandomize=DERANDOMIZE,
        database=None if DERANDOMIZE else settings.default.database,
    )
