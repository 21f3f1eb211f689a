"""No silent data changes in the normalizer (issue 12, finding 10): a cut text is marked and kept whole in the
blob store; zero-width and bidi control characters never stop an identifier from matching."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.base import Channel, RawSubmission, submission_id_for
from channels.blobs import MemoryBlobStore
from normalizer.cleanup import CUT_MARKER, CUT_MARKER_NOT_KEPT, MAX_TEXT_CHARS
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent, Identities
from normalizer.invisible import strip_invisible
from normalizer.phones import phones_in_text, to_e164
from normalizer.pipeline import normalize
from router.directory import identity_pairs
from tests.normalizer.conftest import CHANNEL_STEPS

RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)


def submission(payload: dict[str, object], native_id: str = "w-1") -> RawSubmission:
    return RawSubmission(submission_id=submission_id_for(Channel.WEB, native_id), channel=Channel.WEB,
                         native_id=native_id, received_at=RECEIVED, payload=payload)


def run(payload: dict[str, object], blobs: MemoryBlobStore | None = None) -> ComplaintEvent:
    return normalize(submission(payload), config=NormalizerConfig(), channel_steps=CHANNEL_STEPS, blobs=blobs)


def long_text() -> str:
    lines = [f"Строка {n:05d}: интернет пропадает каждый вечер, прошу разобраться." for n in range(400)]
    text = "\n".join(lines)
    assert len(text) > 25_000
    return text[:25_000].rstrip()


def test_a_long_text_is_marked_cut_and_kept_whole_in_the_blob_store() -> None:
    text = long_text()
    blobs = MemoryBlobStore()

    event = run({"text": text}, blobs)

    assert len(event.text) <= MAX_TEXT_CHARS
    assert event.text.endswith(CUT_MARKER)
    assert text.startswith(event.text.removesuffix(CUT_MARKER))
    [attachment] = event.attachments
    assert attachment.content_type.startswith("text/plain")
    full = blobs.get(attachment.blob_key)
    assert full.decode("utf-8") == text and attachment.size == len(full)
    # The same submission gives the same event (the store is content-addressed).
    assert run({"text": text}, blobs) == event


def test_without_a_blob_store_the_cut_is_still_marked() -> None:
    event = run({"text": long_text()})

    assert event.text.endswith(CUT_MARKER_NOT_KEPT) and len(event.text) <= MAX_TEXT_CHARS
    assert event.attachments == []


def test_a_text_under_the_cap_is_not_touched() -> None:
    blobs = MemoryBlobStore()
    event = run({"text": "Нет интернета. " * 100}, blobs)

    assert "сокращён" not in event.text and event.attachments == []


def test_zero_width_and_bidi_characters_do_not_stop_identifiers() -> None:
    event = run({
        "text": "Договор 12-34\u200b5678, лицевой счёт 7700\u2060123456, телефон \u202e+7 916 123-45-67\u202c",
        "contract_number": "12-345\u200d678",
        "email": "ivan\u200b.petrov@example.ru\ufeff",
        "phone": "\u2066+7 (916) 123-45-67\u2069",
    })

    ids = event.identities
    assert ids.contract_numbers == ["12-345678"]
    assert ids.account_numbers == ["7700123456"]
    assert ids.phones == ["+79161234567"]
    assert ids.emails == ["ivan.petrov@example.ru"]


def test_phone_helpers_and_the_router_ignore_invisible_characters() -> None:
    assert to_e164("+7\u200b916\u202e1234567") == "+79161234567"
    assert phones_in_text("звоните 8\u200b(916)\u2060123-45-67") == ["+79161234567"]
    invisible = "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    assert strip_invisible(f"a{invisible}b") == "ab"
    # An event normalised before the fix still matches the directory's plain identifiers.
    pairs = identity_pairs(Identities(contract_numbers=["12-345\u200b678", "12-345678", "\u200b"],
                                      emails=["a\u202e@b.ru"]))
    assert pairs == [("contract", "12-345678"), ("email", "a@b.ru")]
