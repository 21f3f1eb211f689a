"""Properties of normalizer/invisible.py and the identities step: no zero-width or bidi character is ever
left in an identifier, and nothing else is removed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from channels.base import Channel, RawSubmission
from normalizer.config import NormalizerConfig
from normalizer.draft import Draft
from normalizer.event import Identities
from normalizer.identities import identities_in_text, plain_identities
from normalizer.invisible import BIDI_CONTROLS, strip_bidi, strip_invisible
from tests.property.strategies import INVISIBLE, hostile_text

invisible_mix = st.text(alphabet=st.one_of(st.sampled_from(INVISIBLE), st.characters()), max_size=100)


def interleave(text: str, junk: list[str]) -> str:
    out = []
    for i, char in enumerate(text):
        out.append(char)
        out.append(junk[i % len(junk)] if junk else "")
    return "".join(out)


@given(invisible_mix)
def test_strip_invisible_removes_only_invisible_characters(text: str) -> None:
    stripped = strip_invisible(text)
    assert not set(stripped) & set(INVISIBLE)
    assert stripped == "".join(c for c in text if c not in INVISIBLE)
    assert strip_invisible(stripped) == stripped


@given(invisible_mix)
def test_strip_bidi_keeps_zero_width(text: str) -> None:
    stripped = strip_bidi(text)
    assert stripped == "".join(c for c in text if c not in BIDI_CONTROLS)
    assert strip_bidi(stripped) == stripped


@given(st.dictionaries(st.sampled_from([attr for _, attr in Identities.KINDS]),
                       st.lists(invisible_mix, max_size=4), max_size=7))
def test_plain_identities_have_no_invisible_characters(values: dict[str, list[str]]) -> None:
    ids = Identities(**values)
    plain_identities(ids)
    for _kind, value in ids.pairs():
        assert not set(value) & set(INVISIBLE) and value == value.strip() and value
    for attr, raw in values.items():
        expected = list(dict.fromkeys(v for v in (strip_invisible(r).strip() for r in raw) if v))
        assert getattr(ids, attr) == expected


@given(st.from_regex(r"\A\d{2}-\d{6}\Z"), st.from_regex(r"\A\d{10}\Z"),
       st.lists(st.sampled_from(INVISIBLE), min_size=1, max_size=4), hostile_text)
def test_numbers_with_invisible_characters_are_found_plain(contract: str, account: str, junk: list[str],
                                                            noise: str) -> None:
    text = f"{noise}\nДоговор № {interleave(contract, junk)}, лицевой счёт {interleave(account, junk)}."
    raw = RawSubmission(submission_id=uuid.uuid4(), channel=Channel.WEB, native_id="x",
                        received_at=datetime.now(UTC), payload={})
    draft = Draft(raw=raw, config=NormalizerConfig(), text=text)
    draft.identities.emails.append(interleave("ivan@example.ru", junk))
    identities_in_text(draft)
    assert contract in draft.identities.contract_numbers
    assert account in draft.identities.account_numbers
    assert draft.identities.emails[0] == "ivan@example.ru"
    for _kind, value in draft.identities.pairs():
        assert not set(value) & set(INVISIBLE)
