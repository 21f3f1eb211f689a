"""NormalizerConfig: everything configurable about the normalizer, frozen and passed in (never module globals).

`normalize(raw, config=..., channel_steps=...)` puts it on the draft; steps read `draft.config`. Two
configurations therefore coexist in one process, and `NormalizerConfig()` is the defaults.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from channels.email.config import EmailLimits

# The first group, if any, is the number itself.
# Each pattern is `(?:договор\w*|contract)...` (`(?:лицев...|л/с|ЛС|account)...`) under re.I, written to begin
# with a case-sensitive class of every character its first letter matches under re.I (Unicode 14: д: Д д ᲁ;
# c: C c; л: Л л; a: A a), the rest of each keyword behind a lookbehind for its letter. A pattern that begins with
# such a class is searched for by the regex engine's fast scan; under re.I a cased first letter makes the
# engine try the pattern at every position of the text, which took most of the identities step.
DEFAULT_CONTRACT_PATTERN = re.compile(
    r"(?-i:[дДᲁcC])(?:(?<=д)оговор\w*|(?<=c)ontract)\s*(?:№|N|#|no\.?)?\s*(\d{2}-\d{6})", re.I)
DEFAULT_ACCOUNT_PATTERN = re.compile(
    r"(?-i:[лЛaA])(?:(?<=л)(?:ицев\w*\s+сч[её]т\w*|/с|С)|(?<=a)ccount)\s*(?:№|N|#)?\s*(\d{8,12})", re.I)
# A scan whose mean OCR confidence (0-100) is below this always goes to verification by a person.
DEFAULT_SCAN_LOW_CONFIDENCE = 70.0


class NormalizerSettings(Protocol):
    """The settings the configuration is read from (workers.app.settings.Settings has them)."""

    @property
    def contract_pattern(self) -> str | None: ...

    @property
    def account_pattern(self) -> str | None: ...

    @property
    def email_limits(self) -> EmailLimits: ...

    @property
    def fax_gateway_senders(self) -> list[str]: ...


@dataclass(frozen=True)
class NormalizerConfig:
    contract_pattern: re.Pattern[str] = DEFAULT_CONTRACT_PATTERN
    account_pattern: re.Pattern[str] = DEFAULT_ACCOUNT_PATTERN
    # Size caps applied before and while a mail is parsed.
    email_limits: EmailLimits = field(default_factory=EmailLimits)
    # Lower-cased sender addresses of fax-to-email gateways; an entry "@domain" matches the whole domain.
    fax_senders: frozenset[str] = frozenset()
    # Mean OCR confidence (0-100) below which a scanned letter needs verification (normalizer.scan).
    scan_low_confidence: float = DEFAULT_SCAN_LOW_CONFIDENCE

    def __post_init__(self) -> None:
        # Any iterable of addresses is accepted, in any case; kept as a lower-cased frozenset.
        senders = frozenset(s.strip().lower() for s in self.fax_senders if s.strip())
        object.__setattr__(self, "fax_senders", senders)
        # A private copy: the caller's (mutable) EmailLimits cannot change this configuration afterwards.
        object.__setattr__(self, "email_limits", self.email_limits.model_copy())

    @classmethod
    def from_options(
        cls,
        contract_pattern: str | None = None,
        account_pattern: str | None = None,
        email_limits: EmailLimits | None = None,
        fax_senders: Iterable[str] = (),
        scan_low_confidence: float = DEFAULT_SCAN_LOW_CONFIDENCE,
    ) -> NormalizerConfig:
        """Patterns as settings give them (case-insensitive regular expressions; unset: the defaults)."""
        return cls(
            contract_pattern=re.compile(contract_pattern, re.I) if contract_pattern else DEFAULT_CONTRACT_PATTERN,
            account_pattern=re.compile(account_pattern, re.I) if account_pattern else DEFAULT_ACCOUNT_PATTERN,
            email_limits=email_limits if email_limits is not None else EmailLimits(),
            fax_senders=frozenset(fax_senders),
            scan_low_confidence=scan_low_confidence,
        )

    @classmethod
    def from_settings(cls, settings: NormalizerSettings) -> NormalizerConfig:
        """COMPLAINTS_CONTRACT_PATTERN / _ACCOUNT_PATTERN, _EMAIL_LIMITS, _FAX_GATEWAY_SENDERS and
        _SCAN_LOW_CONFIDENCE (read when the settings have it: not part of NormalizerSettings yet)."""
        low = getattr(settings, "scan_low_confidence", DEFAULT_SCAN_LOW_CONFIDENCE)
        return cls.from_options(settings.contract_pattern, settings.account_pattern, settings.email_limits,
                                settings.fax_gateway_senders,
                                float(low) if low is not None else DEFAULT_SCAN_LOW_CONFIDENCE)
