"""Module-level configuration of the email steps (set once per process, like normalizer.identities)."""

from __future__ import annotations

from collections.abc import Iterable

from channels.email.config import EmailLimits

LIMITS = EmailLimits()
# Lower-cased sender addresses of fax-to-email gateways; an entry "@domain" matches the whole domain.
FAX_SENDERS: frozenset[str] = frozenset()


def configure(limits: EmailLimits | None = None, fax_senders: Iterable[str] | None = None) -> None:
    global LIMITS, FAX_SENDERS
    if limits is not None:
        LIMITS = limits
    if fax_senders is not None:
        FAX_SENDERS = frozenset(s.strip().lower() for s in fax_senders if s.strip())
