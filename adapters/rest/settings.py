"""The REST profile's own settings (paging, hub delivery), with documented keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class RestSettings:
    """Keys in ``GatewaySettings.extra`` use the attribute names with a ``rest.`` prefix."""

    public_url: str | None = None  # base of every href; default: the request's own origin
    default_limit: int = 100
    max_limit: int = 1000
    hub_max_attempts: int = 10
    hub_retry_base_seconds: float = 1.0
    hub_retry_max_seconds: float = 300.0
    hub_timeout_seconds: float = 10.0
    hub_poll_seconds: float = 0.5
    hub_lease_seconds: float = 30.0

    @classmethod
    def from_extra(cls, extra: Mapping[str, str], **defaults: object) -> RestSettings:
        values: dict[str, object] = dict(defaults)
        for f in fields(cls):
            raw = extra.get(f"rest.{f.name}")
            if raw is None:
                continue
            kind = type(getattr(cls, f.name)) if getattr(cls, f.name) is not None else str
            values[f.name] = kind(raw)
        return cls(**values)  # type: ignore[arg-type]
