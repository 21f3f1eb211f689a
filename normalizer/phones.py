"""Phone numbers to E.164 with phonenumbers (Russian numbers by default)."""

from __future__ import annotations

import re

import phonenumbers

from normalizer.invisible import strip_invisible

DEFAULT_REGION = "RU"


def to_e164(value: str | None, region: str = DEFAULT_REGION) -> str | None:
    """A valid number in E.164, or None."""
    value = strip_invisible(value) if value else value
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


# A run of digits with the separators phone numbers are written with; the matcher then only reads
# these runs, not the whole text (on a long mail it was the normalizer's costliest step). It is
# `\+?[\d(]` then the run, written to begin with a character class ("+" only when a digit or "("
# follows): a pattern that begins with a class is searched for by the regex engine's fast scan,
# one with an optional "+" is tried at every position of the text, which took twice as long.
_CANDIDATE = re.compile(r"[+\d(](?:(?<=\+)[\d(]|(?<!\+))[\d \t().\-\u2010-\u2015]{5,24}\d")


# Russian numbers: ten digits after the trunk prefix 8 or the country code 7.
_NATIONAL_DIGITS = 10


def _matched(text: str, region: str) -> list[str]:
    return [phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            for match in phonenumbers.PhoneNumberMatcher(text, region)]


def phones_in_text(text: str, region: str = DEFAULT_REGION) -> list[str]:
    return phones_in_plain_text(strip_invisible(text), region)


def phones_in_plain_text(text: str, region: str = DEFAULT_REGION) -> list[str]:
    """phones_in_text() of a text already without invisible characters (strip_invisible)."""
    found: list[str] = []
    if not _MAYBE_PHONE.search(text):
        return found  # most texts have no number at all
    # Each distinct run once (a quoted mail repeats its numbers); a run that is not one number as a
    # whole (two numbers, a house number glued in front) goes through the matcher.
    for candidate in dict.fromkeys(m.group(0) for m in _CANDIDATE.finditer(text)):
        digits = sum(map(str.isdigit, candidate))
        if digits < _NATIONAL_DIGITS and not candidate.startswith("+"):
            continue  # a contract number, a date, a sum: too short for a number without a country code
        whole = to_e164(candidate, region)
        glued = not whole and digits > _NATIONAL_DIGITS + 1
        for e164 in [whole] if whole else _matched(candidate, region) if glued else []:
            if e164 not in found:
                found.append(e164)
    return found
