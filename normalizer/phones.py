"""Phone numbers to E.164 with phonenumbers (Russian numbers by default)."""

from __future__ import annotations

import re

import phonenumbers

DEFAULT_REGION = "RU"


def to_e164(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """A valid number in E.164, or None."""
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Seven digits with at most three separators between them: no phone number is shorter.
_MAYBE_PHONE = re.compile(r"\d(?:\D{0,3}\d){6}")


def phones_in_text(text: str, region: str = DEFAULT_REGION) -> list[str]:
    found: list[str] = []
    if not _MAYBE_PHONE.search(text):
        return found  # the matcher is the normalizer's costliest step; most texts have no number
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in found:
            found.append(e164)
    return found
