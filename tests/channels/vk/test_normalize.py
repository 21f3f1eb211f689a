"""The vk_message step on the recorded payloads: shapes, attachments, chats, comments, huge and RTL text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from channels.vk.parse import parse_event
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from tests.channels.vk.conftest import GROUP_ID, event
from workers.channels.registry import normalizer_steps


def normalized(name: str) -> ComplaintEvent:
    parsed = parse_event(event(name), GROUP_ID, datetime(2026, 11, 23, 10, tzinfo=UTC))
    assert parsed.action == "submit" and parsed.raw is not None
    return normalize(parsed.raw, config=NormalizerConfig(), channel_steps=normalizer_steps())


@pytest.mark.parametrize(("name", "address", "message_id", "content_id", "vk_id"), [
    ("message_new", "510001", "41", "510001:17", "510001"),
    ("message_new_pre_5_103", "510001", "42", "510001:18", "510001"),
    ("message_new_chat", "2000000005", None, "2000000005:305", "510002"),
    ("wall_reply_new", "510005", f"wall:{-GROUP_ID}:77:812", f"wall:{-GROUP_ID}_77:812", "510005"),
    ("board_post_new", "510006", f"board:{-GROUP_ID}:12:33", f"board:{-GROUP_ID}_12:33", "510006"),
])
def test_reply_target_content_id_and_identity(name: str, address: str, message_id: str | None, content_id: str,
                                              vk_id: str) -> None:
    ev = normalized(name)
    assert ev.channel == "vk" and ev.native_id.startswith(f"{GROUP_ID}:")
    assert ev.reply_to is not None and (ev.reply_to.address, ev.reply_to.message_id) == (address, message_id)
    assert ev.content_id == content_id
    assert ev.identities.vk_ids == [vk_id]


def test_attachments_are_referenced_in_the_text() -> None:
    ev = normalized("message_new_attachments")
    assert "[фото: https://sun9-1.userapi.com/s/v1/ig2/big.jpg?size=1920x1080]" in ev.text
    assert "[документ: akt.pdf https://vk.com/doc510001_678901234?hash=abc&dl=xyz]" in ev.text


def test_emoji_rtl_and_huge_texts_survive() -> None:
    assert "الإنترنت" in normalized("message_new_rtl_emoji").text and "🙏" in normalized("message_new_rtl_emoji").text
    assert "📺" in normalized("message_new_chat").text
    assert len(normalized("message_new_huge").text) > 3000


def test_own_comment_and_unknown_types_are_ignored() -> None:
    own = event("wall_reply_new")
    own["object"]["from_id"] = -GROUP_ID
    assert parse_event(own, GROUP_ID, datetime.now(UTC)).action == "ignore"
    assert parse_event(event("unknown_type"), GROUP_ID, datetime.now(UTC)).action == "ignore"
    assert parse_event(event("confirmation"), GROUP_ID, datetime.now(UTC)).action == "confirm"
