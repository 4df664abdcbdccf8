"""Names of what the tests create on the shared servers, all under one prefix per test run.

Databases and roles on PostgreSQL, vhosts and users on RabbitMQ: every name
begins with ``PREFIX`` -- ``ORDERGATE_TEST_PREFIX`` when set (lower-case
letters, digits and underscores, at most 24, starting with a letter), else
one made for this run (``ogt`` + process id + random).  Queues live inside
the run's own vhosts, so they are the run's too; ports are taken from the
operating system (bound to port 0), never fixed.

A run removes what it created, and at its end anything else under its own
prefix that a test left behind -- never a name under another prefix: two
suites on one machine cannot step on each other.  After a run that was
killed, run again with the same ``ORDERGATE_TEST_PREFIX`` to remove its
leftovers (or drop them by hand: their names say whose they are).
"""

from __future__ import annotations

import os
import re
import uuid

_ACCEPTABLE = re.compile(r"[a-z][a-z0-9_]{0,23}")


def _prefix() -> str:
    given = os.environ.get("ORDERGATE_TEST_PREFIX", "")
    if not given:
        return f"ogt{os.getpid()}{uuid.uuid4().hex[:4]}"
    if not _ACCEPTABLE.fullmatch(given):
        raise RuntimeError(
            f"ORDERGATE_TEST_PREFIX {given!r}: lower-case letters, digits and underscores, at most 24,"
            " starting with a letter (it names databases, roles, vhosts and users)"
        )
    return given


PREFIX = _prefix()


def name(kind: str) -> str:
    """A new name of this run: ``<prefix>_<kind>_<random>``."""
    return f"{PREFIX}_{kind}_{uuid.uuid4().hex[:6]}"


def ours(found: str) -> bool:
    return found.startswith(PREFIX + "_")
