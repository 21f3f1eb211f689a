"""The recorded updates: which become complaints, and the ComplaintEvent each complaint gives (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.base import BadSubmission, Channel, submission_id_for
from channels.telegram.parse import Kind, classify, native_id, raw_submission
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from tests.channels.telegram.conftest import CLIENT_CHAT, load
from workers.channels.registry import normalizer_steps

BOT_ID = 123456
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CONFIG, STEPS = NormalizerConfig(), normalizer_steps()


def event_of(name: str) -> ComplaintEvent:
    return normalize(raw_submission(BOT_ID, load(name), NOW), config=CONFIG, channel_steps=STEPS)


@pytest.mark.parametrize(("name", "kind"), [
    ("text_message", Kind.COMPLAINT), ("contact_own", Kind.COMPLAINT), ("contact_other", Kind.COMPLAINT),
    ("photo_caption", Kind.COMPLAINT), ("document", Kind.COMPLAINT), ("voice", Kind.COMPLAINT),
    ("emoji", Kind.COMPLAINT), ("rtl", Kind.COMPLAINT), ("huge_text", Kind.COMPLAINT),
    ("start", Kind.GREETING),
    ("edited_message", Kind.IGNORED), ("channel_post", Kind.IGNORED), ("group_message", Kind.IGNORED),
    ("my_chat_member", Kind.IGNORED), ("sticker", Kind.IGNORED), ("unknown_kind", Kind.IGNORED),
])
def test_classify(name: str, kind: Kind) -> None:
    assert classify(load(name)) is kind


def test_raw_submission_keeps_the_update_and_keys_on_bot_and_update_id() -> None:
    update = load("text_message")
    raw = raw_submission(BOT_ID, update, NOW)
    assert raw.native_id == native_id(BOT_ID, 900000001) == "123456:900000001"
    assert raw.dedup_key == "telegram:123456:900000001"
    assert raw.submission_id == submission_id_for(Channel.TELEGRAM, raw.native_id)
    assert raw.payload == update


@pytest.mark.parametrize("bad", [{"message": {}}, {"update_id": "1"}, {"update_id": True}, []])
def test_update_without_an_integer_id_is_a_bad_submission(bad: object) -> None:
    with pytest.raises(BadSubmission):
        raw_submission(BOT_ID, bad, NOW)  # type: ignore[arg-type]


def test_text_message() -> None:
    event = event_of("text_message")
    assert event.channel is Channel.TELEGRAM
    assert event.identities.telegram_ids == [str(CLIENT_CHAT)]
    assert event.identities.contract_numbers == ["12-000001"]
    assert event.display_name == "Иван Иванов"
    assert event.reply_to is not None
    assert (event.reply_to.address, event.reply_to.message_id) == (str(CLIENT_CHAT), "101")
    assert event.content_id == f"{CLIENT_CHAT}:101"
    assert "нет интернета" in event.text


def test_own_contact_gives_the_phone_and_the_contact_category() -> None:
    event = event_of("contact_own")
    assert event.identities.phones == ["+79161110001"]
    assert event.identities.verified_phones == ["+79161110001"]  # the card's user_id is the sender's: proof
    assert event.category == "contact"
    assert "+79161110001" in event.text


def test_someone_elses_contact_is_not_the_clients_phone() -> None:
    event = event_of("contact_other")
    assert event.identities.phones == [] and event.identities.verified_phones == []
    assert event.category != "contact"
    assert "79035550123" not in event.text and "Мария Петрова" in event.text


def test_photo_is_referenced_by_the_largest_sizes_file_id_with_the_caption() -> None:
    event = event_of("photo_caption")
    assert "[фото: AgACAgIAAxkBAAIBZ2VfLarge]" in event.text
    assert "красная лампа LOS" in event.text


def test_document_and_voice_are_referenced_by_file_id() -> None:
    assert "[документ: Акт_сверки.pdf, BQACAgIAAxkBAAIBaGVfDoc]" in event_of("document").text
    assert "[голосовое сообщение: AwACAgIAAxkBAAIBbGVfVoice]" in event_of("voice").text


def test_emoji_rtl_and_huge_texts_survive() -> None:
    assert "😡😡😡" in event_of("emoji").text
    rtl = event_of("rtl")
    assert "الإنترنت" in rtl.text and "שלום" in rtl.text
    assert rtl.identities.contract_numbers == ["12-000001"]
    assert event_of("huge_text").text.startswith("Описываю проблему подробно.")


def test_a_published_update_without_a_message_is_quarantined_by_the_normalizer() -> None:
    with pytest.raises(BadSubmission):
        normalize(raw_submission(BOT_ID, load("edited_message"), NOW), config=CONFIG, channel_steps=STEPS)
