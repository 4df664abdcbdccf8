"""The REST profile's own settings (paging, hub delivery and its safety), with documented keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from adapters.rest.callbacks import parse_networks


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
    # comma-separated CIDR ranges callbacks may reach though they are loopback, private,
    # link-local ... (docs/security.md); empty: only globally routable addresses
    hub_allowed_networks: str = ""
    hub_max_subscriptions_per_client: int = 20
    # failed attempts in a row (any of its deliveries) after which a subscription is suspended;
    # at the default backoff, 50 is about three and a half hours of a listener down
    hub_failures_before_suspension: int = 50
    hub_max_in_flight: int = 256  # deliveries out at once, at most one per subscription
    hub_max_in_flight_per_client: int = 8  # of which one client's

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

    def __post_init__(self) -> None:
        parse_networks(self.hub_allowed_networks)  # a typo fails at start-up, not at each delivery
        if min(self.hub_max_subscriptions_per_client, self.hub_failures_before_suspension) < 1:
            raise ValueError("hub subscription cap and failures before suspension must be at least 1")
        if min(self.hub_max_in_flight, self.hub_max_in_flight_per_client) < 1:
            raise ValueError("hub_max_in_flight and hub_max_in_flight_per_client must be at least 1")
