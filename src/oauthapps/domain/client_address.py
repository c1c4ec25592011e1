"""The key a client's network address is counted under: one IPv4 address, or one IPv6 /64 (a
single host usually holds a whole /64, so counting its addresses one by one would count nothing)."""

from __future__ import annotations

import ipaddress


def address_key(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # not an IP address (a Unix socket peer, "unknown"): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)
