"""Properties of the chat channels' parsers (channels/{vk,ok,telegram}/parse.py) and their normalizer steps
(normalizer/{vk,ok,telegram}.py) on arbitrary JSON and on updates shaped like the platforms' own, with fields of
the wrong type mixed in.

A parser refuses with BadSubmission only; a submission it lets through either normalises to an event that
validates as ComplaintEvent or is refused with BadSubmission, never anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from channels.base import BadSubmission, Channel, RawSubmission
from channels.ok import parse as ok_parse
from channels.telegram import parse as tg_parse
from channels.vk import parse as vk_parse
from normalizer.cleanup import MAX_TEXT_CHARS, clean_text
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.ok import ok_message
from normalizer.pipeline import normalize
from normalizer.telegram import file_lines as telegram_file_lines
from normalizer.telegram import telegram_message
from normalizer.vk import attachment_reference as vk_attachment_reference
from normalizer.vk import vk_message
from tests.property.strategies import INVISIBLE, hostile_text, json_trees, sometimes

RECEIVED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
STEPS = {Channel.VK: vk_message, Channel.OK: ok_message, Channel.TELEGRAM: telegram_message}
GROUP_ID = 123456
BOT_ID = 777

ids = st.integers(min_value=1, max_value=2**40)
texts = st.one_of(hostile_text, st.text(max_size=300))
urls = st.builds(lambda path: f"https://files.example.ru/{path}", st.text(alphabet="abc123/._-", max_size=20))
# A dimension as a platform sends it, or as a forged update might: a number, text, null, a float, a list.
dimensions = st.one_of(st.integers(0, 5000), st.integers(0, 5000), st.text(max_size=3), st.none(), st.floats(),
                       st.lists(st.integers(), max_size=1))


def event_or_refusal(raw: RawSubmission) -> ComplaintEvent | None:
    try:
        event = normalize(raw, config=NormalizerConfig(), channel_steps=STEPS)
    except BadSubmission:
        return None
    assert ComplaintEvent.model_validate_json(event.model_dump_json()) == event
    assert event.channel == raw.channel and event.text and len(event.text) <= MAX_TEXT_CHARS
    for _kind, value in event.identities.pairs():
        assert not set(INVISIBLE) & set(value)
    return event


def message_text_kept(text: Any, event: ComplaintEvent) -> None:
    """The client's own words are in the event (as the cleanup step leaves them)."""
    if isinstance(text, str) and len(text) < 5000:
        cleaned = clean_text(text)
        if cleaned:
            assert cleaned[:100] in event.text


# VK: Callback API / Long Poll events.
vk_photo = st.fixed_dictionaries({"type": st.just("photo"), "photo": sometimes(st.fixed_dictionaries({
    "owner_id": sometimes(ids), "id": sometimes(ids),
    "sizes": sometimes(st.lists(st.fixed_dictionaries({"url": sometimes(urls), "width": dimensions,
                                                       "height": dimensions}), max_size=3))}))})
vk_doc = st.fixed_dictionaries({"type": st.just("doc"), "doc": sometimes(st.fixed_dictionaries({
    "owner_id": sometimes(ids), "id": sometimes(ids), "title": sometimes(hostile_text), "url": sometimes(urls),
    "ext": sometimes(st.sampled_from(["pdf", "jpg", "exe", ""])), "size": sometimes(st.integers(-5, 10**9))}))})
vk_other = st.fixed_dictionaries({"type": sometimes(st.sampled_from(["link", "sticker", "wall", "poll", "new_kind"])),
                                  "link": sometimes(st.fixed_dictionaries({"url": sometimes(urls)}))})
vk_attachments = sometimes(st.lists(st.one_of(vk_photo, vk_doc, vk_other), max_size=4))
vk_message_obj = st.fixed_dictionaries(
    {"peer_id": sometimes(ids), "from_id": sometimes(st.integers(-(2**31), 2**31)), "text": sometimes(texts)},
    optional={"id": sometimes(ids), "conversation_message_id": sometimes(ids), "attachments": vk_attachments,
              "fwd_messages": sometimes(st.lists(st.fixed_dictionaries({"text": sometimes(texts)}), max_size=3)),
              "reply_message": sometimes(st.fixed_dictionaries({"text": sometimes(texts)}))},
)
vk_comment_obj = st.fixed_dictionaries(
    {"id": sometimes(ids), "from_id": sometimes(st.integers(-(2**31), 2**31)), "text": sometimes(texts),
     "owner_id": sometimes(st.integers(-(2**31), 0)), "post_id": sometimes(ids), "topic_id": sometimes(ids),
     "topic_owner_id": sometimes(st.integers(-(2**31), 0))},
    optional={"attachments": vk_attachments},
)
vk_events = st.one_of(
    st.fixed_dictionaries({"type": st.just("message_new"), "group_id": st.just(GROUP_ID),
                           "object": sometimes(st.one_of(st.fixed_dictionaries({"message": vk_message_obj}),
                                                         vk_message_obj))},
                          optional={"event_id": sometimes(hostile_text), "secret": hostile_text}),
    st.fixed_dictionaries({"type": st.sampled_from(["wall_reply_new", "board_post_new"]), "object": sometimes(
        vk_comment_obj)}, optional={"event_id": sometimes(hostile_text)}),
    st.fixed_dictionaries({"type": sometimes(st.sampled_from(["confirmation", "message_reply", "", "group_join"]))}),
)


@given(st.one_of(json_trees, vk_events))
def test_vk_event_is_parsed_or_refused(body: Any) -> None:
    try:
        parsed = vk_parse.parse_event(body, GROUP_ID, RECEIVED)
    except BadSubmission:
        return
    assert parsed.action in ("submit", "confirm", "ignore")
    if parsed.action != "submit":
        assert parsed.raw is None
        return
    assert parsed.raw is not None and "secret" not in parsed.raw.payload
    assert parsed.raw.native_id.startswith(f"{GROUP_ID}:")
    event = event_or_refusal(parsed.raw)
    if event is not None and body["type"] == "message_new":
        message_text_kept(vk_parse.message_of(body["object"]).get("text"), event)


# OK: Bot API webhook bodies.
ok_ids = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["mid:", "chat:", "user:", "x:", ""]),
                   st.text(alphabet="abcABC0123456789._", min_size=1, max_size=30))
ok_events = st.fixed_dictionaries(
    {"webhookType": sometimes(st.sampled_from(["MESSAGE_CREATED", "MESSAGE_CREATED", "MESSAGE_EDITED", "NEW"])),
     "sender": sometimes(st.fixed_dictionaries({"user_id": sometimes(ok_ids.map(lambda v: "user:" + v)),
                                                "name": sometimes(hostile_text)})),
     "recipient": sometimes(st.fixed_dictionaries({"chat_id": sometimes(ok_ids.map(lambda v: "chat:" + v))})),
     "message": sometimes(st.fixed_dictionaries(
         {"mid": sometimes(ok_ids.map(lambda v: "mid:" + v)), "text": sometimes(texts)},
         optional={"attachments": sometimes(st.lists(st.fixed_dictionaries(
             {"type": sometimes(st.sampled_from(["IMAGE", "file", "SHARE", "weird"])),
              "payload": sometimes(st.fixed_dictionaries({}, optional={"url": sometimes(urls),
                                                                        "id": sometimes(ids)}))}), max_size=60))}))},
    optional={"timestamp": sometimes(ids)},
)


@given(st.one_of(json_trees, ok_events))
def test_ok_event_is_triaged_or_refused(body: Any) -> None:
    if not isinstance(body, dict):
        return  # decode_body refuses anything but an object (test_json_body)
    try:
        triaged = ok_parse.triage(body, RECEIVED)
    except BadSubmission:
        return
    if isinstance(triaged, str):
        assert triaged in ok_parse.KNOWN_IGNORED
        return
    assert triaged.native_id == body["message"]["mid"]
    event = event_or_refusal(triaged)
    if event is None:  # refused only when there is nothing to read: no text, no attachment
        assert not clean_text(body["message"].get("text") or "") and not body["message"].get("attachments")
        return
    assert event.identities.ok_ids == [body["sender"]["user_id"].removeprefix("user:")]
    message_text_kept(body["message"].get("text"), event)


# Telegram: Bot API updates.
tg_user = st.fixed_dictionaries({"id": sometimes(ids)}, optional={
    "is_bot": sometimes(st.booleans()), "first_name": sometimes(hostile_text), "last_name": sometimes(hostile_text),
    "username": sometimes(hostile_text)})
tg_file = st.fixed_dictionaries({"file_id": sometimes(hostile_text)}, optional={
    "width": dimensions, "height": dimensions,
    "file_name": sometimes(hostile_text)})
tg_message = st.fixed_dictionaries(
    {"message_id": sometimes(ids), "chat": sometimes(st.fixed_dictionaries({
        "id": sometimes(ids), "type": sometimes(st.sampled_from(["private", "private", "group", "channel"]))})),
     "from": sometimes(tg_user)},
    optional={"text": sometimes(st.one_of(texts, st.sampled_from(["/start", "/help@bot x", "/other"]))),
              "caption": sometimes(texts), "photo": sometimes(st.lists(tg_file, max_size=3)),
              "document": sometimes(tg_file), "voice": sometimes(tg_file), "video_note": sometimes(tg_file),
              "contact": sometimes(st.fixed_dictionaries({"phone_number": sometimes(st.one_of(
                  hostile_text, st.from_regex(r"\A\+?79[0-9]{9}\Z"))), "user_id": sometimes(ids),
                  "first_name": sometimes(hostile_text)}))},
)
tg_updates = st.one_of(
    st.fixed_dictionaries({"update_id": sometimes(st.integers(-5, 2**40)), "message": sometimes(tg_message)}),
    st.fixed_dictionaries({"update_id": sometimes(ids), "edited_message": tg_message}),
)


@given(st.one_of(json_trees, tg_updates))
def test_telegram_update_is_classified_and_normalised_or_refused(update: Any) -> None:
    if not isinstance(update, dict):
        try:
            tg_parse.update_id_of(update)
        except BadSubmission:
            return
        raise AssertionError("a non-object update was given an id")
    kind = tg_parse.classify(update)
    assert kind in tg_parse.Kind
    if kind is not tg_parse.Kind.COMPLAINT:
        return
    try:
        raw = tg_parse.raw_submission(BOT_ID, update, RECEIVED)
    except BadSubmission:
        return
    assert raw.native_id == f"{BOT_ID}:{update['update_id']}"
    event = event_or_refusal(raw)
    if event is None:
        return
    message = update["message"]
    assert event.identities.telegram_ids == [str(message["from"]["id"])]
    text = message.get("text") or message.get("caption")
    message_text_kept(text, event)
    for phone in event.identities.verified_phones:
        assert phone in event.identities.phones and phone.startswith("+")


@given(st.one_of(json_trees, st.lists(st.fixed_dictionaries({"url": sometimes(urls), "width": dimensions,
                                                             "height": dimensions}), max_size=4)))
def test_vk_photo_reference_is_one_of_its_urls(sizes: Any) -> None:
    reference = vk_attachment_reference("photo", {"sizes": sizes, "owner_id": 1, "id": 2})
    listed = [s["url"] for s in sizes if isinstance(s, dict) and isinstance(s.get("url"), str)] if isinstance(
        sizes, list) else []
    assert reference in listed if listed else reference == "photo1_2"


@given(st.lists(st.one_of(json_trees, st.fixed_dictionaries({"file_id": st.text(min_size=1, max_size=5),
                                                             "width": dimensions, "height": dimensions})),
                min_size=1, max_size=4))
def test_telegram_photo_line_names_one_of_its_files(photo: list[Any]) -> None:
    lines = telegram_file_lines({"photo": photo})
    assert len(lines) == 1 and lines[0].startswith("[фото: ")
    ids = {p["file_id"] for p in photo if isinstance(p, dict) and isinstance(p.get("file_id"), str) and p["file_id"]}
    assert lines[0][len("[фото: "):-1] in ids | {"?"}
