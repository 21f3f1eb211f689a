"""Pure parts on the recorded payloads: webhook body -> RawSubmission -> ComplaintEvent; source addresses."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from channels.base import BadSubmission, Channel, submission_id_for
from channels.ok import parse
from channels.ok.config import OkConfig
from channels.ok.sources import allowed_source, source_address
from normalizer.cleanup import MAX_TEXT_CHARS
from normalizer.config import NormalizerConfig
from normalizer.pipeline import normalize
from tests.channels.ok.conftest import body, payload
from workers.channels.registry import normalizer_steps

OK_NETS = OkConfig(token="t", webhook_secret="x" * 16).allowed_networks
CONFIG, STEPS = NormalizerConfig(), normalizer_steps()


def test_message_becomes_a_submission_keyed_by_mid() -> None:
    raw = parse.parse_message(parse.decode_body(body("message_created.json")))
    assert raw.channel is Channel.OK and raw.native_id == "mid:C3ed8b7c6a8ff.16ade4d4b28"
    assert raw.dedup_key == "ok:mid:C3ed8b7c6a8ff.16ade4d4b28"
    assert raw.submission_id == submission_id_for(Channel.OK, raw.native_id)
    assert raw.payload == payload("message_created.json")  # kept as received
    assert raw.received_at.tzinfo is not None


def test_event_has_identity_reply_target_and_content_id() -> None:
    event = normalize(parse.parse_message(payload("message_created.json")), config=CONFIG, channel_steps=STEPS)
    assert event.identities.ok_ids == ["571982496545"]  # the directory keeps the numeric id
    assert event.display_name == "Иван Иванов"
    assert event.reply_to is not None and event.reply_to.address == "chat:C3ed8b7c6a8ff"
    assert event.reply_to.message_id == "mid:C3ed8b7c6a8ff.16ade4d4b28"
    assert event.content_id == "mid:C3ed8b7c6a8ff.16ade4d4b28"
    assert "нет интернета" in event.text


def test_attachment_is_referenced_as_a_text_line() -> None:
    event = normalize(parse.parse_message(payload("message_with_attachment.json")), config=CONFIG, channel_steps=STEPS)
    assert event.text.endswith("[фото: https://i.mycdn.me/i?r=AzEPZsRbOZEKgBhR0XGMT1Rk]")
    assert event.attachments == []


@pytest.mark.parametrize("name", ["message_emoji.json", "message_rtl.json"])
def test_emoji_and_rtl_text_survive(name: str) -> None:
    data = payload(name)
    event = normalize(parse.parse_message(data), config=CONFIG, channel_steps=STEPS)
    assert event.text == data["message"]["text"].strip()
    assert event.display_name == data["sender"]["name"]


def test_huge_text_is_capped_not_refused() -> None:
    data = payload("message_huge.json")
    assert len(data["message"]["text"]) > MAX_TEXT_CHARS
    event = normalize(parse.parse_message(data), config=CONFIG, channel_steps=STEPS)
    assert len(event.text) == MAX_TEXT_CHARS


@pytest.mark.parametrize(("name", "kind"), [("chat_system.json", "CHAT_SYSTEM"),
                                            ("message_callback.json", "MESSAGE_CALLBACK")])
def test_documented_other_kinds_are_triaged_as_ignored(name: str, kind: str) -> None:
    assert parse.triage(payload(name)) == kind


@pytest.mark.parametrize(("name", "reason"), [
    ("unknown_type.json", "неизвестный тип"),
    ("malformed_no_mid.json", "message.mid"),
])
def test_unknown_kind_and_malformed_message_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(BadSubmission, match=reason):
        parse.triage(payload(name))


def test_not_json_is_refused() -> None:
    with pytest.raises(BadSubmission, match="не JSON"):
        parse.decode_body(body("not_json.txt"))
    with pytest.raises(BadSubmission, match="не JSON-объект"):
        parse.decode_body(b"[1, 2]")


@pytest.mark.parametrize("bad", ["", "mid:with space", "mid:" + "x" * 300, "C3ed8b7c6a8ff.16a", 12345])
def test_malformed_mid_is_refused(bad: object) -> None:
    data = payload("message_created.json")
    data["message"]["mid"] = bad
    with pytest.raises(BadSubmission):
        parse.parse_message(data)


def test_sources_peer_and_trusted_proxy() -> None:
    proxy = [ip_network("10.0.0.5/32")]
    assert allowed_source(source_address("217.20.145.200", None, []), OK_NETS)
    assert not allowed_source(source_address("217.20.145.208", None, []), OK_NETS)  # just outside the /28
    assert not allowed_source(source_address(None, None, []), OK_NETS)
    # A forged header from an untrusted peer is ignored.
    assert source_address("203.0.113.9", "217.20.145.200", proxy) == source_address("203.0.113.9", None, [])
    # Behind our proxy: the first hop from the right that is not our proxy.
    found = source_address("10.0.0.5", "198.51.100.1, 217.20.153.50, 10.0.0.5", proxy)
    assert str(found) == "217.20.153.50" and allowed_source(found, OK_NETS)
    # A client-supplied left-most entry cannot win.
    assert str(source_address("10.0.0.5", "217.20.153.50, 198.51.100.1", proxy)) == "198.51.100.1"
    assert source_address("10.0.0.5", "garbage", proxy) is None
    assert str(source_address("::ffff:217.20.145.200", None, [])) == "217.20.145.200"
