"""The egress policy on plain data: base-URL shapes, address kinds, allow rules, resolution."""

from __future__ import annotations

import ipaddress

import pytest

from llmops_core.llm.egress import (
    EgressPolicy,
    address_kind,
    base_url_parse,
    host_rule_parse,
)
from llmops_core.llm.errors import ConfigError, EgressRefused
from llmops_core.llm.keys import key_bindings_parse, key_env_bound

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.9.9.9", "loopback"),
    ("::1", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
    ("::127.0.0.1", "loopback"),  # IPv4-compatible IPv6
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("::ffff:192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("fec0::1", "private"),
    ("169.254.1.1", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("240.0.0.1", "private"),
    ("100.64.0.1", "non-public"),  # carrier-grade NAT
    ("169.254.169.254", "cloud metadata"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("192.0.0.192", "cloud metadata"),
]
PUBLIC = ["8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_non_public_addresses_are_named_by_kind(address: str, kind: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_kind(ipaddress.ip_address(address)) is None
    assert EgressPolicy().addresses(address, 443) == [str(ipaddress.ip_address(address))]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_the_default_policy_refuses_every_non_public_literal(address: str, kind: str) -> None:
    with pytest.raises(EgressRefused, match=f'field "base_url": .* is a {kind} address'):
        EgressPolicy().addresses(address, 80)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://127.0.0.1:8297/v1?next=/admin", "query string"),
        ("http://h/v1?", "query string"),
        ("https://h/v1#frag", "fragment"),
        ("https://user:pw@h/v1", "user-info"),
        ("https://good.example@10.0.0.1/v1", "user-info"),
        ("ftp://h/v1", "not an http"),
        ("http:/h/v1", "not an http"),
        ("http://h:0/v1", "port"),
        ("http://h:70000/v1", "port"),
        ("http://h%2f/v1", "percent"),
        ("http://[fe80::1%25eth0]/v1", "percent"),
        ("http://h /v1", "spaces"),
        ("http://h\\@evil/v1", "backslash"),
        ("http://hé.example/v1", "non-ASCII"),
        ("http://[zz]/v1", "URL this client can read"),
        ("http:///v1", "no host"),
    ],
)
def test_base_urls_that_could_steer_the_request_are_refused(url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as caught:
        base_url_parse(url)
    assert caught.value.field == "base_url" and str(caught.value).startswith('field "base_url"')


def test_a_base_url_has_one_spelling() -> None:
    assert base_url_parse("HTTPS://API.Example.com:443/v1/").normalised() == (
        "https://api.example.com/v1"
    )
    assert base_url_parse("http://[::1]:8011/v1").normalised() == "http://[::1]:8011/v1"
    assert base_url_parse("http://[::1]:8011/v1").origin_rule() == "[::1]:8011"


def test_rules_allow_only_what_they_name() -> None:
    policy = EgressPolicy.from_rules(
        ["10.0.0.0/8:8000", "[fd00::/8]", "192.168.1.5", "*.corp.example:443", "::1"]
    )
    assert policy.addresses("10.9.9.9", 8000) == ["10.9.9.9"]
    assert policy.addresses("fd00::7", 1) == ["fd00::7"]
    assert policy.addresses("192.168.1.5", 5) == ["192.168.1.5"]
    assert policy.addresses("::ffff:192.168.1.5", 5) == ["::ffff:c0a8:105"]
    assert policy.addresses("::1", 9) == ["::1"]
    for host, port in [("10.9.9.9", 8001), ("192.168.1.6", 5), ("127.0.0.1", 80), ("fe80::1", 1)]:
        with pytest.raises(EgressRefused):
            policy.addresses(host, port)


def test_metadata_addresses_need_a_rule_naming_exactly_them() -> None:
    broad = EgressPolicy.from_rules(["169.254.0.0/16", "0.0.0.0/0", "100.64.0.0/10"])
    assert broad.addresses("169.254.1.1", 80) == ["169.254.1.1"]
    for address in ("169.254.169.254", "100.100.100.200", "::ffff:169.254.169.254"):
        with pytest.raises(EgressRefused, match="cloud metadata"):
            broad.addresses(address, 80)
    named = EgressPolicy.from_rules(["169.254.169.254"])
    assert named.addresses("169.254.169.254", 80) == ["169.254.169.254"]


def test_a_name_is_refused_if_any_of_its_addresses_is_refused() -> None:
    answers = {"mixed.test": ["93.184.215.14", "10.0.0.5"], "public.test": ["93.184.215.14"]}
    policy = EgressPolicy(resolver=lambda host, port: answers[host])
    assert policy.addresses("public.test", 443) == ["93.184.215.14"]
    with pytest.raises(EgressRefused):
        policy.addresses("mixed.test", 443)


def test_unresolvable_and_refused_names_give_the_same_error() -> None:
    def resolver(host: str, port: int) -> list[str]:
        if host == "internal.test":
            return ["10.0.0.5"]
        raise OSError("Name or service not known")

    policy = EgressPolicy(resolver=resolver)
    messages = []
    for host in ("internal.test", "missing.test"):
        with pytest.raises(EgressRefused) as caught:
            policy.addresses(host, 80)
        messages.append(str(caught.value).replace(host, "HOST"))
    assert messages[0] == messages[1]
    assert "10.0.0.5" not in messages[0]


def test_a_named_host_is_allowed_whatever_it_resolves_to_except_metadata() -> None:
    answers = {"llm.internal": ["10.0.0.5"], "meta.internal": ["169.254.169.254"]}
    policy = EgressPolicy.from_rules(
        ["llm.internal:8000", "meta.internal"], resolver=lambda h, p: answers[h]
    )
    assert policy.addresses("llm.internal", 8000) == ["10.0.0.5"]
    assert policy.check("http://llm.internal:8000/v1").host == "llm.internal"
    with pytest.raises(EgressRefused):
        policy.addresses("llm.internal", 8001)
    with pytest.raises(EgressRefused):
        policy.addresses("meta.internal", 80)


@pytest.mark.parametrize(
    "rule",
    ["10.0.0.1/8", "host:", "host:99999", "[::1", "a b", "http://x", "10.0.0.0/8:x", ""],
)
def test_bad_rules_are_refused_naming_the_setting(rule: str) -> None:
    with pytest.raises(ConfigError, match="LLM_ALLOWED_HOSTS"):
        host_rule_parse(rule)


def test_key_bindings_compare_base_urls_in_one_spelling() -> None:
    bindings = key_bindings_parse('{"OPENAI_API_KEY": ["https://api.openai.com/v1/"]}')
    assert key_env_bound(bindings, "OPENAI_API_KEY", "HTTPS://api.openai.com:443/v1")
    assert not key_env_bound(bindings, "OPENAI_API_KEY", "https://api.openai.com/v2")
    assert not key_env_bound(bindings, "OPENAI_API_KEY", "http://api.openai.com/v1")
    assert not key_env_bound(bindings, "OTHER_API_KEY", "https://api.openai.com/v1")
    assert not key_env_bound(bindings, "OPENAI_API_KEY", "https://api.openai.com/v1?x")


@pytest.mark.parametrize(
    "text",
    ["[]", "not json", '{"A B": ["https://x/v1"]}', '{"K": [1]}', '{"K": ["https://x/v1?q"]}'],
)
def test_bad_key_bindings_are_refused_naming_the_setting(text: str) -> None:
    with pytest.raises(ConfigError, match="LLM_KEY_ENVS"):
        key_bindings_parse(text)
