"""Gateway settings, from the environment (and CLI flags, which override)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None


@dataclass(frozen=True)
class GatewaySettings:
    database_url: str = "sqlite+aiosqlite:///ordergate.db"
    amqp_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    credentials_path: str | None = None
    max_body_bytes: int = 1024 * 1024
    auto_start: bool = False
    # optional operations switched off: "kind:operation" or "operation" entries, comma-separated
    switched_off: str = ""
    amqp_prefetch: int = 64
    amqp_concurrency: int = 32
    # gateway processes on this host (one per core is the usual choice); above 1, serve supervises
    workers: int = 1
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> GatewaySettings:
        env = os.environ
        return cls(
            database_url=env.get("ORDERGATE_DATABASE_URL", cls.database_url),
            amqp_url=env.get("ORDERGATE_AMQP_URL") or None,
            host=env.get("ORDERGATE_HOST", cls.host),
            port=_env_int("ORDERGATE_PORT", cls.port),
            credentials_path=env.get("ORDERGATE_CREDENTIALS") or None,
            max_body_bytes=_env_int("ORDERGATE_MAX_BODY_BYTES", cls.max_body_bytes),
            auto_start=_env_bool("ORDERGATE_AUTO_START"),
            switched_off=env.get("ORDERGATE_SWITCHED_OFF", ""),
            amqp_prefetch=_env_int("ORDERGATE_AMQP_PREFETCH", cls.amqp_prefetch),
            amqp_concurrency=_env_int("ORDERGATE_AMQP_CONCURRENCY", cls.amqp_concurrency),
            workers=_env_int("ORDERGATE_WORKERS", cls.workers),
        )
