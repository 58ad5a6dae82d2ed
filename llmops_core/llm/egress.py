"""Where outbound LLM calls may go: the shape of a base URL and the address policy.

A base URL carries no user-info, query string or fragment: the client appends its own path
(``/chat/completions``), and a ``?`` or ``#`` would let whoever wrote the URL choose what the
server sees instead.

Every address a host resolves to is checked, once; callers then connect to the checked
addresses and never resolve the name again (a second answer could differ: DNS rebinding).
Public addresses are allowed. Loopback, private, link-local, multicast, reserved, unspecified,
shared and cloud metadata addresses (IPv4 and IPv6, IPv4 inside IPv6 included) are refused
unless one of the operator's rules (``LLM_ALLOWED_HOSTS``) allows them:

=============================  ====================================================
``llm.internal``               that host name: any address it resolves to, any port
``*.corp.example``             every subdomain of ``corp.example``
``10.1.2.3``, ``::1``          that address
``10.0.0.0/8``, ``fd00::/8``   every address of the network
``…:8000``, ``[fd00::/8]:8000``  the same, on that port only (IPv6 in brackets)
=============================  ====================================================

A cloud metadata address (169.254.169.254 and its kin) is allowed only by a rule naming that
exact address: no network, wildcard or host name opens it by accident.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from llmops_core.llm.errors import ConfigError, EgressRefused

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, Azure, GCP, OpenStack, DigitalOcean, Hetzner...
        "169.254.169.253",  # AWS DNS resolver
        "169.254.169.123",  # AWS time sync
        "169.254.170.2",  # AWS ECS task credentials
        "169.254.170.23",  # AWS EKS pod identity
        "fd00:ec2::254",
        "fd00:ec2::253",
        "fd00:ec2::123",
        "fd00:ec2::23",
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"(?:\*\.)?{_LABEL}(?:\.{_LABEL})*\.?")
# Printable ASCII only, and no backslash: parsers disagree about both (a URL that one library
# reads as host A and another as host B is how allow-lists are slipped past).
_UNSAFE = re.compile(r"[^\x21-\x7e]|\\")


@dataclass(frozen=True)
class BaseURL:
    """A checked base URL: lower-case scheme and host (IPv6 without brackets), port, path."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def host_literal(self) -> str:
        """Return the host as written in a URL (IPv6 in brackets)."""
        return f"[{self.host}]" if ":" in self.host else self.host

    def normalised(self) -> str:
        """Return the URL in one spelling: default port left out, no trailing slash."""
        default = DEFAULT_PORTS[self.scheme]
        netloc = self.host_literal if self.port == default else f"{self.host_literal}:{self.port}"
        return f"{self.scheme}://{netloc}{self.path.rstrip('/')}"

    def origin_rule(self) -> str:
        """Return the allow rule for exactly this host and port."""
        return f"{self.host_literal}:{self.port}"


def _refuse_url(url: str, problem: str, name: str = "base_url") -> ConfigError:
    """Return the error for a URL that cannot be used, naming the field."""
    shown = url if len(url) <= 120 else url[:117] + "..."
    return ConfigError(f'field "{name}": {shown!r} {problem}', field=name)


def base_url_parse(url: str, *, name: str = "base_url") -> BaseURL:
    """Return the parts of an http(s) base URL; raise ``ConfigError`` naming what is wrong.

    ``name`` is the field errors name (other outbound URLs, such as alert webhooks, are
    held to the same shape).
    """
    only = "give the base URL only, e.g. .../v1" if name == "base_url" else "leave it out"
    if _UNSAFE.search(url):
        raise _refuse_url(
            url,
            "holds spaces, control or non-ASCII characters or a backslash "
            "(write an international host name in its xn-- form)",
            name,
        )
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. a bracketed host that is not an IPv6 address
        raise _refuse_url(url, "is not a URL this client can read", name) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not url[len(scheme) :].startswith("://"):
        raise _refuse_url(url, "is not an http(s) URL", name)
    if "?" in url:
        raise _refuse_url(url, f"has a query string; {only}", name)
    if "#" in url:
        raise _refuse_url(url, f"has a fragment (#...); {only}", name)
    if "@" in parts.netloc:
        raise _refuse_url(url, "holds user-info (user@); put the key in the API key field", name)
    if "%" in parts.netloc:
        raise _refuse_url(url, "has percent-encoding or a zone in its host", name)
    host = (parts.hostname or "").rstrip(".")
    try:
        port = parts.port
    except ValueError:
        raise _refuse_url(url, "has a port that is not a number from 1 to 65535", name) from None
    if not host:
        raise _refuse_url(url, "has no host", name)
    if port == 0:
        raise _refuse_url(url, "has a port that is not a number from 1 to 65535", name)
    if ":" in host and _literal(host) is None:
        raise _refuse_url(url, "has a bracketed host that is not an IPv6 address", name)
    return BaseURL(scheme, host, port or DEFAULT_PORTS[scheme], parts.path)


def _literal(host: str) -> IPAddress | None:
    """Return ``host`` as an IP address when it is one written the standard way, else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, bool] | None:
    """Return the IPv4 address inside an IPv6 one, and whether it is all the address means.

    IPv4-mapped (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``) and NAT64 addresses
    reach exactly the IPv4 address; 6to4 and Teredo addresses carry one that must be checked
    as well as the IPv6 address itself.
    """
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, True
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), True
    if int(address) >> 32 == 0 and int(address) > 1:
        return ipaddress.IPv4Address(int(address)), True
    if address.sixtofour is not None:
        return address.sixtofour, False
    if address.teredo is not None:
        return address.teredo[1], False
    return None


def address_kind(address: IPAddress) -> str | None:
    """Return what kind of non-public address ``address`` is, or None when it is public."""
    if address in METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner, whole = embedded
            kind = address_kind(inner)
            if whole or kind is not None:
                return kind
    for kind, flagged in (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("private", isinstance(address, ipaddress.IPv6Address) and address.is_site_local),
        ("reserved", address.is_reserved),
        ("non-public", not address.is_global),
    ):
        if flagged:
            return kind
    return None


def _plain(address: IPAddress) -> IPAddress:
    """Return the IPv4 address an IPv4-mapped IPv6 address stands for, else the address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@dataclass(frozen=True)
class HostRule:
    """One entry of the allow list: a host name or a network, on one port or on any."""

    text: str
    name: str = ""  # lower-case; starts with "." for a wildcard such as *.corp.example
    network: IPNetwork | None = None
    port: int | None = None

    def _port_matches(self, port: int) -> bool:
        return self.port is None or self.port == port

    def allows_host(self, host: str, port: int) -> bool:
        """Return whether this rule names ``host`` (on ``port``)."""
        if not self.name or not self._port_matches(port):
            return False
        return host == self.name or (self.name.startswith(".") and host.endswith(self.name))

    def allows_address(self, address: IPAddress, port: int, *, exact: bool = False) -> bool:
        """Return whether ``address`` is in this rule's network; ``exact``: is its only one."""
        if self.network is None or not self._port_matches(port):
            return False
        if exact:
            return self.network.num_addresses == 1 and self.network.network_address == address
        return address in self.network


def _rule_port(text: str, port: str | None) -> int | None:
    """Return the port of a rule, or None for any port."""
    if port is None:
        return None
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ConfigError(f"LLM_ALLOWED_HOSTS entry {text!r}: the port must be 1-65535")
    return int(port)


def host_rule_parse(text: str) -> HostRule:
    """Return the rule written as ``text`` (see the module docstring for the syntax)."""
    raw = text.strip().lower()
    port: str | None = None
    if raw.startswith("["):
        match = re.fullmatch(r"\[([^\]]+)\](?::(.*))?", raw)
        if match is None:
            raise ConfigError(f"LLM_ALLOWED_HOSTS entry {text!r}: an unclosed [")
        host, port = match.groups()
    elif raw.count(":") >= 2:
        host = raw  # a bare IPv6 address or network: no port (use brackets for one)
    else:
        host, colon, after = raw.partition(":")
        port = after if colon else None
    number = _rule_port(text, port)
    try:
        network = ipaddress.ip_network(host, strict=True)
    except ValueError:
        network = None
    if network is not None:
        return HostRule(text, network=network, port=number)
    if "/" in host or ":" in host or not _HOST_NAME.fullmatch(host):
        raise ConfigError(
            f"LLM_ALLOWED_HOSTS entry {text!r} is not a host name, an IP address or a network "
            "(a network's host bits must be zero, e.g. 10.0.0.0/8)"
        )
    name = host.rstrip(".")
    return HostRule(text, name=name[1:] if name.startswith("*.") else name, port=number)


def system_resolve(host: str, port: int) -> list[str]:
    """Return every address the system resolver gives for ``host``, in its order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressPolicy:
    """The operator's allow rules, and how host names are resolved (the system resolver).

    ``name``, ``caller`` and ``setting`` only word the errors: the URL's field, who makes
    the calls and the setting that allows more (LLM calls by default; alert webhooks too).
    """

    rules: tuple[HostRule, ...] = ()
    resolver: Resolver = field(default=system_resolve, compare=False, repr=False)
    name: str = "base_url"
    caller: str = "LLM calls"
    setting: str = "LLM_ALLOWED_HOSTS"

    @classmethod
    def from_rules(
        cls,
        texts: Iterable[str],
        *,
        resolver: Resolver = system_resolve,
        name: str = "base_url",
        caller: str = "LLM calls",
        setting: str = "LLM_ALLOWED_HOSTS",
    ) -> EgressPolicy:
        """Return the policy of the rules ``texts``; raise ``ConfigError`` on a bad one."""
        rules = tuple(host_rule_parse(text) for text in texts if text.strip())
        return cls(rules, resolver, name, caller, setting)

    def refusal(self, host: str, address: IPAddress, port: int) -> str | None:
        """Return why ``address`` (an address of ``host``) is refused, or None if it is allowed."""
        kind = address_kind(address)
        if kind is None:
            return None
        plain = _plain(address)
        if kind == "cloud metadata":
            allowed = any(rule.allows_address(plain, port, exact=True) for rule in self.rules)
        else:
            allowed = any(
                rule.allows_host(host, port) or rule.allows_address(plain, port)
                for rule in self.rules
            )
        return None if allowed else kind

    def addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` once; return its addresses when every one is allowed.

        Raise ``EgressRefused`` otherwise. The message is the same whatever listens on the
        port (nothing is connected to), and for a host name it is the same whether the name
        does not resolve or resolves to a refused address, so it reveals no internal DNS.
        """
        host = host.strip("[]").lower().rstrip(".")
        literal = _literal(host)
        if literal is not None:
            kind = self.refusal(host, literal, port)
            if kind is not None:
                raise EgressRefused(
                    f'field "{self.name}": {host} is a {kind} address; {self.caller} may not '
                    f"go there unless the operator allows it ({self.setting})"
                )
            return [str(literal)]
        try:
            found = [_literal(text) for text in self.resolver(host, port)]
        except (OSError, UnicodeError):
            found = []
        addresses = [address for address in found if address is not None]
        if not addresses or any(self.refusal(host, a, port) for a in addresses):
            raise EgressRefused(
                f'field "{self.name}": host "{host}" does not resolve to addresses '
                f"{self.caller} may reach (public ones, or those the operator allows in "
                f"{self.setting})"
            )
        return [str(address) for address in addresses]

    def check(self, url: str) -> BaseURL:
        """Return the parts of ``url`` once its shape and every address of its host pass.

        A host the operator named in a rule passes without a lookup (its addresses are
        allowed whatever they are, and are checked again at every connection).
        """
        parts = base_url_parse(url, name=self.name)
        if not any(rule.allows_host(parts.host, parts.port) for rule in self.rules):
            self.addresses(parts.host, parts.port)
        return parts
