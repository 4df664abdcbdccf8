"""Gateway settings: one validated model for every ``ORDERGATE_*`` variable and command-line flag.

Every setting is a field of ``GatewaySettings``: its type, default, range and
meaning are declared once, here, and checked before anything starts, so a
bad value ends the command with one line naming the variable (or flag), what
it must be, and the fix -- never a traceback, never a value taken silently.

Where values come from: ``GatewaySettings.from_env()`` reads the
environment (``ORDERGATE_`` + the field name in capitals, unless the field
names another variable in ``validation_alias``), then the command-line flags
given to it override. Built directly (``GatewaySettings(database_url=...)``,
as tests and benchmarks do) the model reads no environment at all, so a
developer's shell cannot leak into a test.

Adding a setting:

1. add a field with its type, default and constraints (``Field(ge=..., le=...)``
   or a validator), and a ``description`` saying what it does;
2. add its row to the Configuration table of ``README.md`` (a test compares
   the table's variables with the model's) and, if operators need more than
   a line, to ``docs/operations.md``;
3. for a command-line flag, add it to ``FLAGS`` and to the parser in
   ``ordergate/cli.py``.

``extra`` is not read from the environment: it carries tuning knobs for
tests and benchmarks (``rest.*``, ``soap_*`` keys, see the profiles).
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from adapters.amqp.connection import url_problem as amqp_url_problem
from adapters.sql.engine import safe_url
from adapters.sql.engine import url_problem as database_url_problem
from core.usecases.management import parse_switched_off

PREFIX = "ORDERGATE_"
# command-line flags of ``serve`` (and ``migrate``/``check`` for the database) -> field
FLAGS = {"database_url": "--database-url", "amqp_url": "--amqp-url", "host": "--host", "port": "--port"}
FLAGS |= {"workers": "--workers"}
# ORDERGATE_ variables that are not settings: the worker marker and the test suite's own
NOT_SETTINGS = ("ORDERGATE_WORKER", "ORDERGATE_TEST_")

_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("ordergate_environ", default=None)


class SettingsError(ValueError):
    """Settings that cannot be used: one line per problem, each naming its variable or flag."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _Environment(EnvSettingsSource):
    """The variables ``from_env`` was handed; nothing when the model is built directly."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            _ENVIRON.get() or {}, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if field_name == "extra":
            return None, field_name, False
        return super().get_field_value(field, field_name)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="forbid", populate_by_name=True
    )

    database_url: str = Field(
        "sqlite+aiosqlite:///ordergate.db",
        description="the store: postgresql+asyncpg://user:password@host/database or sqlite+aiosqlite:///file",
    )
    database_pool_size: int = Field(
        20, ge=1, le=1000, description="connections of each of a process's two database pools"
    )
    amqp_url: str | None = Field(
        None, description="the broker (amqp:// or amqps://, vhost included); unset: no AMQP profile"
    )
    host: str = Field(
        "127.0.0.1", min_length=1, description="address the HTTP listener (REST, SOAP, health) binds"
    )
    port: int = Field(
        8080, ge=0, le=65535, description="port of the HTTP listener; 0: any free port (one process)"
    )
    credentials_path: str | None = Field(
        None,
        validation_alias=AliasChoices("ORDERGATE_CREDENTIALS"),
        description="credentials file (docs/identity.md); unset: loopback callers only, as the local admin",
    )
    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=1024**3, description="largest request body or message"
    )
    auto_start: bool = Field(False, description="start orders as soon as they are acknowledged")
    switched_off: str = Field("", description="optional operations not offered, comma-separated")
    amqp_prefetch: int = Field(64, ge=1, le=65535, description="unacknowledged requests the broker pushes")
    amqp_concurrency: int = Field(32, ge=1, le=10000, description="AMQP requests executed at once")
    amqp_queue_type: Literal["classic", "quorum"] = Field(
        "classic", description="request and dead-letter queues: durable classic, or quorum (replicated)"
    )
    workers: int = Field(1, ge=1, le=256, description="gateway processes on this host")
    event_loop: Literal["uvloop", "asyncio"] = Field(
        "uvloop", description="the event loop serve runs: uvloop, or asyncio's own"
    )
    log_format: Literal["text", "json"] = Field("text", description="text, or json: one object per line")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="least severe level logged"
    )
    startup_wait_seconds: float = Field(
        60.0,
        ge=0,
        le=3600,
        description="how long serve and migrate wait for an unreachable database or broker",
    )
    outage_log_seconds: float = Field(
        60.0,
        ge=1,
        le=86400,
        description="while the database or broker stays down, a 'still down' line this often",
    )
    public_url: str | None = Field(
        None,
        description="the base of every href the gateway writes, as clients reach it (behind a proxy)",
    )
    hub_allowed_networks: str = Field(
        "",
        description="CIDR ranges (comma-separated) hub callbacks may reach although private, loopback ...",
    )
    hub_max_subscriptions_per_client: int = Field(
        20, ge=1, le=100_000, description="hub subscriptions one client may hold, all APIs together"
    )
    hub_failures_before_suspension: int = Field(
        50, ge=1, le=1_000_000, description="failed deliveries in a row that suspend a hub subscription"
    )
    hub_timeout_seconds: float = Field(
        10.0, ge=0.1, le=300, description="how long one hub delivery attempt may take before it fails"
    )
    hub_max_attempts: int = Field(10, ge=1, le=1000, description="attempts after which a hub delivery is failed")
    hub_max_in_flight: int = Field(256, ge=1, le=100_000, description="hub deliveries in flight at once")
    hub_max_in_flight_per_client: int = Field(
        8, ge=1, le=100_000, description="hub deliveries of one client's subscriptions in flight at once"
    )
    retention_request_log_seconds: float = Field(
        7 * 86400, ge=3600, description="how long a request's result answers its redelivery"
    )
    retention_delivered_seconds: float = Field(86400, ge=0, description="how long delivered hub deliveries stay")
    retention_failed_seconds: float = Field(7 * 86400, ge=0, description="how long failed hub deliveries stay")
    retention_suspended_subscription_seconds: float = Field(
        7 * 86400, ge=0, description="how long a suspended hub subscription stays"
    )
    retention_hub_event_seconds: float = Field(
        600, ge=0, description="margin before an event payload no delivery needs is deleted"
    )
    retention_batch: int = Field(500, ge=1, le=100_000, description="rows deleted in one retention statement")
    retention_interval_seconds: float = Field(60, gt=0, le=86400, description="pause between retention rounds")
    oauth_jwks_url: str | None = Field(None, description="the identity provider's JWKS URL: turns OAuth2 on")
    oauth_issuer: str | None = Field(None, description="the iss a bearer token must carry")
    oauth_audience: str | None = Field(None, description="the aud a bearer token must carry")
    oauth_client_claim: str = Field("azp", min_length=1, description="the claim naming the client")
    oauth_roles_claim: str = Field(
        "realm_access.roles", min_length=1, description="the claim (dotted path) listing the roles"
    )
    amqp_max_query_replies: int = Field(64, ge=1, le=100_000, description="replies one AMQP query may take")
    amqp_max_reply_bytes: int = Field(1024 * 1024, ge=1024, description="bytes of one AMQP reply")
    amqp_max_query_bytes: int = Field(8 * 1024 * 1024, ge=1024, description="bytes of one query's replies")
    amqp_dead_letter_max_messages: int = Field(
        100_000, ge=1, description="requests the dead-letter queue keeps (the oldest dropped beyond)"
    )
    amqp_dead_letter_max_bytes: int = Field(
        256 * 1024 * 1024, ge=1024 * 1024, description="bytes the dead-letter queue keeps (the oldest dropped beyond)"
    )
    catalog_path: str | None = Field(
        None,
        validation_alias=AliasChoices("ORDERGATE_CATALOG"),
        description="decomposition catalog, YAML or JSON (docs/fulfilment.md); unset: each order stands alone",
    )
    jeopardy_interval_seconds: float = Field(
        30, gt=0, le=86400, description="how often late open orders are looked for (jeopardy alerts)"
    )
    extra: dict[str, str] = Field(default_factory=dict, description="tuning knobs for tests and benchmarks")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags and keyword arguments first, then the environment ``from_env`` was handed."""
        return init_settings, _Environment(settings_cls)

    @field_validator("log_format", "log_level", "amqp_queue_type", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("amqp_url")
    @classmethod
    def _amqp_url(cls, value: str | None) -> str | None:
        problem = amqp_url_problem(value) if value else None
        if problem:
            raise ValueError(problem)
        return value or None

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if value != value.strip() or any(c.isspace() for c in value):
            raise ValueError("must be a host name or address, without spaces")
        return value

    @field_validator("switched_off")
    @classmethod
    def _switched_off(cls, value: str) -> str:
        parse_switched_off(value)  # ValueError names the entry
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        from urllib.parse import urlsplit

        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
            raise ValueError("must be an http:// or https:// URL with a host, e.g. https://orders.example.com")
        return value.rstrip("/")

    @field_validator("hub_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for entry in filter(None, (e.strip() for e in value.split(","))):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not a CIDR range such as 10.0.0.0/8") from None
        return value

    @model_validator(mode="after")
    def _oauth_whole(self) -> GatewaySettings:
        given = [self.oauth_jwks_url, self.oauth_issuer, self.oauth_audience]
        if any(given) and not all(given):
            raise ValueError(
                "ORDERGATE_OAUTH_JWKS_URL, ORDERGATE_OAUTH_ISSUER and ORDERGATE_OAUTH_AUDIENCE go together"
            )
        return self

    @model_validator(mode="after")
    def _one_port_for_workers(self) -> GatewaySettings:
        if self.port == 0 and self.workers > 1:
            raise ValueError("ORDERGATE_PORT 0 (any free port) cannot be shared by several workers")
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **flags: Any) -> GatewaySettings:
        """The settings of the environment (``os.environ`` by default), with ``flags`` overriding.

        Raises ``SettingsError`` listing every problem at once."""
        token = _ENVIRON.set(dict(os.environ if environ is None else environ))
        try:
            return cls(**{name: value for name, value in flags.items() if value is not None})
        except ValidationError as e:
            raise SettingsError([_problem(error, flags) for error in e.errors()]) from None
        finally:
            _ENVIRON.reset(token)


def env_name(field: str) -> str:
    alias = GatewaySettings.model_fields[field].validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return PREFIX + field.upper()


def environment_names() -> list[str]:
    """Every variable the model reads, in field order."""
    return [env_name(name) for name in GatewaySettings.model_fields if name != "extra"]


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """``ORDERGATE_*`` variables that are no setting (a typo, or one from another version)."""
    known = environment_names()
    found = []
    for name in sorted(environ):
        if name.startswith(PREFIX) and name not in known and not name.startswith(NOT_SETTINGS):
            close = difflib.get_close_matches(name, known, n=1)
            found.append(f"{name} is not a setting" + (f" (did you mean {close[0]}?)" if close else ""))
    return found


_MESSAGES = {
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be true or false (or 1/0, yes/no, on/off)",
    "string_too_short": "must not be empty",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
}


def _problem(error: Mapping[str, Any], flags: Mapping[str, Any]) -> str:
    """One pydantic error as a line naming the variable (or flag) as the operator wrote it."""
    field = str(error["loc"][0]) if error["loc"] else ""
    if field in ("ORDERGATE_CREDENTIALS",):
        field = "credentials_path"
    if field in ("ORDERGATE_CATALOG",):
        field = "catalog_path"
    if field not in GatewaySettings.model_fields:  # a check across fields: its message names them
        return str(error["msg"]).removeprefix("Value error, ")
    name = FLAGS[field] if flags.get(field) is not None and field in FLAGS else env_name(field)
    kind = str(error["type"])
    if kind == "value_error":
        what = str(error["msg"]).removeprefix("Value error, ")
    elif kind == "int_parsing":
        what = "must be an integer"
    else:
        what = _MESSAGES.get(kind, str(error["msg"])).format(**error.get("ctx", {}))
    value = error.get("input")
    shown = safe_url(value) if isinstance(value, str) and "://" in value else value
    return f"{name} {what}, not {shown!r}" if kind != "value_error" else f"{name}: {what}"
