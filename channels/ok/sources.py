"""Pure: which address a webhook request came from, and whether OK may send from there.

See channels/ok/config.py for how trusted proxies and X-Forwarded-For are handled.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv6Address, ip_address

from channels.ok.config import Network

Address = IPv4Address | IPv6Address


def _parse(text: str | None) -> Address | None:
    if not text:
        return None
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:5555"
        text = text.split(":", 1)[0]
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def source_address(peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]) -> Address | None:
    """The request's source: the peer, or (only behind a trusted proxy) the first untrusted X-Forwarded-For hop."""
    address = _parse(peer)
    if address is None or not _within(address, trusted_proxies) or not forwarded_for:
        return address
    for hop in reversed(forwarded_for.split(",")):
        found = _parse(hop)
        if found is None:
            return None  # a garbled chain from our own proxy: trust nothing
        if not _within(found, trusted_proxies):
            return found
    return address  # every hop is one of our proxies


def allowed_source(address: Address | None, networks: Sequence[Network]) -> bool:
    return address is not None and _within(address, networks)
