"""VK replies through the deliver worker: wall and board complaints answered privately when allowed, else by
a comment; long answers split with one stable random_id per part.

What every sender promises (the dialog, rate limits retried under the same random_id, permanent errors on
the ticket, long texts split) is in test_contract.py (TestVkSender)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from router.models import Delivery
from tests.channels.vk.conftest import GROUP_ID, event, post_event
from tests.channels.vk.test_callback import _async, native, outbox_ids, ticket_of
from tests.support.fake_vk import FakeVk
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.channels.vk.sender import random_id_for, split_text

pytestmark = pytest.mark.usefixtures("database_url")


async def delivery(database: Database, outbox_id: int) -> Delivery | None:
    async with database.sessions() as session:
        return await session.scalar(select(Delivery).where(Delivery.outbox_id == outbox_id))


async def test_wall_comment_without_permission_is_answered_by_a_comment(
    vk_pipeline: Any, vk_web: httpx.AsyncClient, fake_vk: FakeVk, database: Database
) -> None:
    body = event("wall_reply_new")
    await post_event(vk_web, body)
    ticket = await eventually(lambda: ticket_of(database, native(body)))
    [comment] = await eventually(lambda: _async(fake_vk.comments))
    [outbox_id] = await outbox_ids(database, native(body))
    assert comment.method == "wall.createComment"
    assert comment.params["owner_id"] == str(-GROUP_ID) and comment.params["post_id"] == "77"
    assert comment.params["reply_to_comment"] == "812" and comment.params["from_group"] == str(GROUP_ID)
    assert comment.params["guid"] == str(outbox_id)
    assert ticket.number in comment.params["message"]
    assert fake_vk.messages == []
    done = await eventually(lambda: delivery(database, outbox_id))
    assert done.status == "sent"


async def test_board_post_with_permission_is_answered_privately(
    vk_pipeline: Any, vk_web: httpx.AsyncClient, fake_vk: FakeVk, database: Database
) -> None:
    fake_vk.allowed_users.add(510006)
    body = event("board_post_new")
    await post_event(vk_web, body)
    [answer] = await eventually(lambda: _async(fake_vk.sent_to(510006)))
    [outbox_id] = await outbox_ids(database, native(body))
    assert answer["random_id"] == str(outbox_id)
    assert fake_vk.comments == []
    [check] = fake_vk.calls_to("messages.isMessagesFromGroupAllowed")
    assert check.params == {"group_id": str(GROUP_ID), "user_id": "510006", "v": "5.199"}


def test_long_answers_are_split_with_distinct_stable_random_ids() -> None:
    text = ("Абзац ответа. " * 300 + "\n\n") * 3
    parts = split_text(text)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())
    ids = [random_id_for(77, k) for k in range(len(parts))]
    assert ids[0] == 77 and len(set(ids)) == len(ids) and all(i < 0 for i in ids[1:])
