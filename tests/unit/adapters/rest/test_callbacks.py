"""The callback address rules: every form of an internal address is refused, unless allowed."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from adapters.rest.callbacks import CallbackPolicy, CallbackRefused, parse_networks
from adapters.rest.poster import encode, signature

PUBLIC = "93.184.216.34"


def resolver(table: dict[str, list[str]]):
    async def resolve(host: str, _port: int) -> list[str]:
        return table.get(host, [])

    return resolve


async def refused(policy: CallbackPolicy, url: str) -> str:
    with pytest.raises(CallbackRefused) as caught:
        await policy.check(url)
    return caught.value.rule


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("http://127.0.0.1:8080/x", "loopback"),
        ("http://localhost/x", "loopback"),
        ("http://0x7f000001/x", "loopback"),  # resolvers read hex
        ("http://[::1]/x", "loopback"),
        ("http://[::ffff:127.0.0.1]/x", "loopback"),  # IPv4-mapped
        ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
        ("http://[fe80::1]/x", "link-local"),
        ("http://10.1.2.3/x", "private"),
        ("http://192.168.0.1/x", "private"),
        ("http://[fd00::1]/x", "private"),
        ("http://224.0.0.1/x", "multicast"),
        ("http://0.0.0.0:8080/x", "unspecified"),
        ("http://100.64.0.1/x", "reserved"),  # shared address space
        ("http://[64:ff9b::a9fe:a9fe]/x", "link-local"),  # NAT64 of 169.254.169.254
        ("http://2130706433/x", "host"),  # 127.0.0.1 as one number
        ("http://127.1/x", "host"),
        ("http://user:secret@example.test/x", "credentials"),
        ("ftp://example.test/x", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("http:///x", "scheme"),
        ("http://example.test:99999/x", "scheme"),
        ("http://nowhere.test/x", "unresolvable"),
    ],
)
async def test_internal_and_malformed_callbacks_are_refused_naming_the_rule(url, rule):
    from adapters.rest.callbacks import system_resolve

    table = {"nowhere.test": []}

    async def resolve(host: str, port: int) -> list[str]:
        return table[host] if host in table else await system_resolve(host, port)

    assert await refused(CallbackPolicy(resolve=resolve), url) == rule


async def test_a_name_is_refused_when_any_address_it_resolves_to_is_internal():
    policy = CallbackPolicy(resolve=resolver({"mixed.test": [PUBLIC, "10.0.0.7"]}))
    assert await refused(policy, "https://mixed.test/hook") == "private"


async def test_public_addresses_pass_and_the_allowed_networks_open_internal_ones():
    policy = CallbackPolicy(resolve=resolver({"hooks.test": [PUBLIC], "lab.test": ["10.9.8.7"]}))
    await policy.check(f"http://{PUBLIC}/hook")
    await policy.check("https://hooks.test:8443/hook?x=1")
    assert await refused(policy, "http://lab.test/hook") == "private"
    allowing = CallbackPolicy("127.0.0.0/8, 10.0.0.0/8,::1/128", resolve=resolver({"lab.test": ["10.9.8.7"]}))
    await allowing.check("http://lab.test/hook")
    await allowing.check("http://127.0.0.1:9/hook")
    await allowing.check("http://[::1]:9/hook")
    assert await refused(allowing, "http://169.254.169.254/") == "link-local"


def test_allowed_networks_must_be_cidr_ranges():
    assert [str(n) for n in parse_networks(" 127.0.0.0/8 ,fd00::/8,")] == ["127.0.0.0/8", "fd00::/8"]
    with pytest.raises(ValueError, match="allowed networks"):
        parse_networks("127.0.0.0/8,localhost")


def test_the_refusal_names_the_rule_and_the_setting():
    policy = CallbackPolicy()
    with pytest.raises(CallbackRefused) as caught:
        policy.check_address("127.0.0.1", "127.0.0.1")
    assert "loopback" in caught.value.message
    assert "ORDERGATE_HUB_ALLOWED_NETWORKS" in caught.value.message


def test_the_signature_is_an_hmac_sha256_of_the_exact_body():
    body = encode({"eventId": "e1", "event": {"note": "é"}})
    expected = hmac.new(b"a shared secret!", body, hashlib.sha256).hexdigest()
    assert signature("a shared secret!", body) == f"sha256={expected}"
