"""Where the gateway may send hub events, checked before it connects.

A callback is an ``http`` or ``https`` URL without credentials whose host is
not, and does not resolve to, a loopback, link-local, private, multicast,
unspecified or otherwise not globally routable address, unless one of the
networks the operator allows (``ORDERGATE_HUB_ALLOWED_NETWORKS``) holds it.
Without these rules a client could make the gateway call what only the
gateway can reach: its own admin ports, the cloud metadata service, the
operator's internal network.

The rules are applied when a subscription is registered (a 400 naming the
rule) and again whenever a delivery connects: the host is resolved once,
every address it resolves to is checked, and the connection goes to a
checked address (``PinnedResolver``), never to the answer of a second lookup
that DNS could have changed in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolve = Callable[[str, int], Awaitable[list[str]]]

REFUSED_KINDS = "loopback, link-local, private, multicast, unspecified and reserved"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_CALLBACK_LENGTH = 2048


class CallbackRefused(OSError):
    """A callback the rules refuse.  An ``OSError``, so that when a delivery's connector
    raises it aiohttp keeps it as the connection error's cause."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host (IPv4 and IPv6)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``ORDERGATE_HUB_ALLOWED_NETWORKS``: comma-separated CIDR ranges (ValueError otherwise)."""
    try:
        return tuple(ipaddress.ip_network(n.strip(), strict=False) for n in text.split(",") if n.strip())
    except ValueError as e:
        raise ValueError(f"hub allowed networks: {e}") from None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4), which is where it leads."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def refused_kind(address: IPAddress) -> str | None:
    """Which kind of refused address this is, or None for a globally routable one."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        return refused_kind(inner)
    for kind, test in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", not address.is_global),
    ):
        if test:
            return kind
    return None


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class CallbackPolicy:
    """The rules for callback URLs and the addresses they lead to."""

    def __init__(
        self, allowed_networks: str = "", resolve: Resolve = system_resolve, timeout_seconds: float = 5.0
    ) -> None:
        self.allowed = parse_networks(allowed_networks)
        self._resolve = resolve
        self._timeout = timeout_seconds

    def check_url(self, raw: str) -> SplitResult:
        """The URL's own rules (no lookup): scheme, credentials, host form, length."""
        if len(raw) > MAX_CALLBACK_LENGTH:
            raise CallbackRefused("length", f"must be at most {MAX_CALLBACK_LENGTH} characters")
        parts = urlsplit(raw)
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise CallbackRefused("scheme", "must be an absolute http or https URL")
        if parts.username is not None or parts.password is not None:
            raise CallbackRefused("credentials", "must not carry credentials (user or password) in the URL")
        host = parts.hostname
        if host.replace(".", "").isdigit() and _literal(host) is None:
            # 2130706433, 127.1, 0177.0.0.1: forms resolvers map onto addresses
            raise CallbackRefused("host", "must name its host by a DNS name or a canonical IP address")
        return parts

    def check_address(self, host: str, address: str) -> None:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if any(ip in network for network in self.allowed):
            return
        kind = refused_kind(ip)
        if kind is not None:
            verb = "is" if _literal(host) is not None else "resolves to"
            raise CallbackRefused(
                kind,
                f"host {host!r} {verb} a {kind} address; callbacks to {REFUSED_KINDS} "
                "addresses are refused unless the gateway's allowed networks "
                "(ORDERGATE_HUB_ALLOWED_NETWORKS) hold them",
            )

    async def addresses(self, host: str, port: int) -> list[str]:
        """Resolve host once and check every address; all of them pass, or none is used."""
        literal = _literal(host)
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = await asyncio.wait_for(self._resolve(host, port), self._timeout)
            except (OSError, TimeoutError, UnicodeError):
                found = []
            if not found:
                raise CallbackRefused("unresolvable", f"host {host!r} could not be resolved")
        for address in found:
            self.check_address(host, address)
        return found

    async def check(self, raw: str) -> None:
        """Every rule, as at registration."""
        parts = self.check_url(raw)
        assert parts.hostname is not None
        await self.addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


class PinnedResolver(AbstractResolver):
    """aiohttp's resolver for deliveries: the connection goes to the addresses just checked.

    aiohttp does not consult a resolver for IP literals; the dispatcher checks
    those itself (``CallbackPolicy.check_url`` and ``addresses``) before posting."""

    def __init__(self, policy: CallbackPolicy) -> None:
        self._policy = policy

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
            )
            for address in await self._policy.addresses(host, port)
        ]

    async def close(self) -> None:
        return None
