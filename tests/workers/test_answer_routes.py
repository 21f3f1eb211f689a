"""Which way an answer goes when the client's channel has no sender of its own (ChannelPlugin.without_sender):
phone: always a call-back task naming the preferred contact; web: the submission's status; post and fax:
the preferred electronic contact, else a letter for the post room (a call-back where no letter sender is set)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from workers.channels.senders.base import Contact, DeliveryResult, Reply
from workers.channels.senders.selection import CALLBACK, WEB_STATUS, Senders


class RecordingPlatform:
    """Stands in for a configured platform sender (only its identity matters to the selection)."""

    channel = "email"
    resend_safe = True  # as the email sender

    def prepare(self, session: Any, replies: Sequence[Any]) -> list[Any]:
        return list(replies)

    async def send(self, prepared: Sequence[Any]) -> list[DeliveryResult]:
        return [DeliveryResult("sent", "email") for _ in prepared]

    def record(self, session: Any, prepared: Sequence[Any], results: Sequence[DeliveryResult]) -> None:
        return None


PREFERS_EMAIL = Contact(1, "email")


@pytest.mark.parametrize(("channel", "client", "expected"), [
    ("phone", PREFERS_EMAIL, "callback"),  # the operator calls back; the task names the email
    ("phone", None, "callback"),
    ("web", PREFERS_EMAIL, "status"),  # the personal account shows the answer
    ("web", None, "status"),
    ("post", PREFERS_EMAIL, "email"),
    ("fax", PREFERS_EMAIL, "email"),
    ("post", Contact(2, None), "callback"),
    ("email", None, "email"),  # a channel with its own sender answers there
])
def test_the_way_back_of_each_channel(channel: str, client: Contact | None, expected: str) -> None:
    email = RecordingPlatform()
    senders = Senders({"email": email})  # type: ignore[dict-item]
    chosen = senders.for_reply(channel, client)
    assert chosen is {"callback": CALLBACK, "status": WEB_STATUS, "email": email}[expected]


class RecordingLetters:
    """Stands in for the letter sender (workers.channels.senders.letter.LetterSender)."""

    channel = "letter"

    def record(self, session: Any, replies: Sequence[Reply]) -> list[DeliveryResult]:
        return [DeliveryResult("letter", "letter") for _ in replies]


@pytest.mark.parametrize(("channel", "client", "expected"), [
    ("post", Contact(2, None), "letter"),  # no electronic contact: a letter by post
    ("fax", Contact(2, None), "letter"),
    ("post", None, "letter"),  # the sender then says there is no address to write to
    ("post", Contact(3, "telegram"), "letter"),  # a preferred platform that is not configured
    ("post", PREFERS_EMAIL, "email"),
    ("fax", PREFERS_EMAIL, "email"),
    ("phone", Contact(2, None), "callback"),  # a phone client is still called back
    ("web", None, "status"),
    ("email", None, "email"),
])
def test_post_and_fax_go_by_letter_when_a_letter_sender_is_configured(
    channel: str, client: Contact | None, expected: str
) -> None:
    email = RecordingPlatform()
    letters = RecordingLetters()
    senders = Senders({"email": email}, letters)  # type: ignore[dict-item]
    chosen = senders.for_reply(channel, client)
    assert chosen is {"callback": CALLBACK, "status": WEB_STATUS, "email": email, "letter": letters}[expected]
