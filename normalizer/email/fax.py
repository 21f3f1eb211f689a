"""Fax-to-email gateways: their mail is a scanned letter for the scan channel, not a client's email."""

from __future__ import annotations

from collections.abc import Set

FAX_CATEGORY = "fax"


def is_fax_gateway(address: str | None, senders: Set[str]) -> bool:
    """`senders`: lower-cased addresses (NormalizerConfig.fax_senders); "@domain" matches the whole domain."""
    if not address or not senders:
        return False
    return address in senders or "@" + address.rpartition("@")[2] in senders
