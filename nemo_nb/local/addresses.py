"""Which addresses a URL upload may connect to: public unicast only, also when IPv4 hides inside IPv6.

Python's ``is_global`` alone is not enough: it calls ``64:ff9b::7f00:1`` (NAT64 of 127.0.0.1) and
``2002:7f00:1::`` (6to4 of 127.0.0.1) global, and multicast too. Here an IPv6 address that carries an IPv4
address (IPv4-mapped, NAT64 well-known prefix, 6to4) is judged by that IPv4 address; the other
translation and tunnel forms (IPv4-compatible, SIIT, local-use NAT64, Teredo) and every special-purpose
range of the IANA registries are refused outright.
"""
from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

Address = IPv4Address | IPv6Address

IPV4_REFUSED = tuple(IPv4Network(n) for n in (
    "0.0.0.0/8",        # "this network"
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",  # private
    "100.64.0.0/10",    # carrier-grade NAT
    "127.0.0.0/8",      # loopback
    "169.254.0.0/16",   # link-local (cloud metadata services live here)
    "192.0.0.0/24",     # IETF protocol assignments
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",  # documentation
    "192.88.99.0/24",   # 6to4 relay anycast
    "198.18.0.0/15",    # benchmarking
    "224.0.0.0/4",      # multicast
    "240.0.0.0/4",      # reserved, and the broadcast address
))
IPV6_REFUSED = tuple(IPv6Network(n) for n in (
    "::/96",            # unspecified, loopback and IPv4-compatible (deprecated) addresses
    "::ffff:0:0:0/96",  # SIIT IPv4-translated
    "64:ff9b:1::/48",   # local-use NAT64
    "100::/64",         # discard-only
    "2001::/23",        # IETF protocol assignments, Teredo (2001::/32) among them
    "2001:db8::/32", "3fff::/20",  # documentation
    "5f00::/16",        # segment routing
    "fc00::/7",         # unique local
    "fe80::/10",        # link-local
    "fec0::/10",        # site-local (deprecated)
    "ff00::/8",         # multicast
))
NAT64 = IPv6Network("64:ff9b::/96")


def embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address stands for."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def refusal(address: Address) -> str | None:
    """Why a URL upload may not connect to ``address``; None when it may (a public unicast address)."""
    if isinstance(address, IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner)
            return f"it carries the IPv4 address {inner}, {reason}" if reason else None
        if address.scope_id or any(address in net for net in IPV6_REFUSED) or not address.is_global:
            return "a local, private or special-purpose IPv6 address"
        return None
    if any(address in net for net in IPV4_REFUSED) or not address.is_global:
        return "a local, private or special-purpose address"
    return None


def parse(text: str) -> Address:
    """An address as ``getaddrinfo`` gives it (an IPv6 zone, ``%eth0``, is kept as its scope)."""
    return ipaddress.ip_address(text)
