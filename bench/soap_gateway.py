"""The gateway in a process of its own, with settings extras, for ``ordergate bench soap``.

    python -m bench.soap_gateway DATABASE_URL [loop=uvloop] [KEY=VALUE ...]

Like ``python -m bench.serve ordergate DATABASE_URL`` (same ``PORT <n>`` line,
same stop on closed standard input), with ``GatewaySettings.extra`` entries,
e.g. ``soap_offload_bytes=1000000000`` to keep all envelope work on the loop.
"""

from __future__ import annotations

import sys

from bench.serve import run_on, serve
from ordergate.bootstrap import build_app
from ordergate.settings import GatewaySettings


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    extra = dict(item.split("=", 1) for item in argv[1:])
    loop = extra.pop("loop", "asyncio")  # the event loop, not a gateway setting
    run_on(loop, serve(build_app(GatewaySettings(database_url=argv[0], extra=extra))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
