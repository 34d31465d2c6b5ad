"""SSRF guard: webhook targets must be public addresses unless the operator allows others.

Checked when a subscription is saved (a 422 for the shop) and again before every attempt,
on the addresses DNS gives *then* (DNS may change); the attempt then connects to the
address that was checked, so a second lookup cannot swap in an internal one.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOW_HINT = (
    "private, loopback and link-local targets are refused unless the operator sets "
    "WEBHOOK_ALLOW_PRIVATE_TARGETS=true"
)


class TargetError(ValueError):
    """The URL cannot be used as a webhook target; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    host: str  # without IPv6 brackets
    port: int


def parse_target(url: str) -> Target:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetError(f"webhook URL {url!r} is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise TargetError(f"webhook URL {url!r} must start with https:// or http://")
    if not parts.hostname:
        raise TargetError(f"webhook URL {url!r} has no host")
    if parts.username or parts.password:
        raise TargetError("webhook URL must not carry credentials; verify the signature instead")
    default = 443 if parts.scheme == "https" else 80
    return Target(url=url, scheme=parts.scheme, host=parts.hostname, port=port or default)


def forbidden_reason(ip: IPAddress) -> str | None:
    """Why this address is not a public unicast one, or None when it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return forbidden_reason(ip.ipv4_mapped)
    checks = (
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_unspecified, "the unspecified address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a publicly routable address"),
    )
    return next((reason for hit, reason in checks if hit), None)


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetError(f"webhook host {host!r} does not resolve: {exc}") from exc
    seen: dict[str, IPAddress] = {}
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        seen.setdefault(address, ipaddress.ip_address(address))
    if not seen:
        raise TargetError(f"webhook host {host!r} resolves to no address")
    return list(seen.values())


async def check_target(url: str, *, allow_private: bool) -> tuple[Target, list[IPAddress]]:
    """The parsed target and its addresses, or TargetError when any address is refused
    (one internal address among public ones is enough to refuse: it could be picked)."""
    target = parse_target(url)
    addresses = await _resolve(target.host, target.port)
    if not allow_private:
        for ip in addresses:
            reason = forbidden_reason(ip)
            if reason is not None:
                literal = len(addresses) == 1 and _is_literal(target.host)
                shown = target.host if literal else f"{target.host} ({ip})"
                raise TargetError(f"webhook target {shown} is {reason}; {ALLOW_HINT}")
    return target, addresses
