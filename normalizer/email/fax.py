"""Fax-to-email gateways: their mail is a scanned letter for the scan channel, not a client's email."""

from __future__ import annotations

from normalizer.email import config

FAX_CATEGORY = "fax"


def is_fax_gateway(address: str | None) -> bool:
    if not address or not config.FAX_SENDERS:
        return False
    return address in config.FAX_SENDERS or "@" + address.rpartition("@")[2] in config.FAX_SENDERS
