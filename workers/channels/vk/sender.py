"""Replies on VK: messages.send in the client's dialog, or a comment under a wall post / board topic.

prepare (first transaction): where each reply goes, read from the answered submission's event
(reply_to, content_id), or the VK id of a client who prefers VK. send (no transaction, vk_api in a
thread, at most `rps` calls per second): `random_id` is the outbox id, stable across retries, so VK
itself drops a resend of a message it already has (a long answer split into parts gets one id per
part: the outbox id for the first, -(outbox_id*8+k) for part k). A wall or board complaint is
answered privately when the author allows messages from the community
(messages.isMessagesFromGroupAllowed), else by a comment reply (`guid` = the outbox id). Errors 6, 9,
29 (rate limits), 1, 10 and no answer are temporary: retried by the deliver worker with back-off;
any other error is permanent: the delivery is failed and the ticket history says why.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.base import Channel
from channels.split import split_message
from channels.vk.api import VkClient, VkError, VkUnavailable
from channels.vk.config import VkConfig
from normalizer.event import ReplyTarget
from router.directory import first_identities
from router.models import Submission
from router.route_lookup import submissions_with
from workers.app.settings import Settings
from workers.channels.senders.base import DeliveryResult, PlatformSender, Reply, TemporaryFailure
from workers.channels.senders.history import record_not_sent

log = logging.getLogger("complaints.senders.vk")

CHANNEL = Channel.VK
MESSAGE_MAX = 4000  # VK takes 4096 characters per message
MAX_PARTS = 8
DETAIL_MAX = 1000
CHAT_PEER_START = 2_000_000_000
RATE_LIMIT_PAUSES = (0.5, 1.0)  # in-batch waits on error 6 before giving the reply back for a later retry


@dataclass(frozen=True)
class CommentTarget:
    """Where a wall comment or board post lives: answered by a comment when a message is not allowed."""

    kind: str  # wall | board
    owner_id: int  # wall owner (negative: a community) or the board's community (negative)
    item_id: int  # post id or topic id
    comment_id: int

    @classmethod
    def parse(cls, text: str | None) -> CommentTarget | None:
        if not text:
            return None
        parts = text.split(":")
        if len(parts) != 4 or parts[0] not in ("wall", "board"):
            return None
        try:
            return cls(parts[0], int(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            return None


@dataclass
class VkOutgoing:
    reply: Reply
    peer_id: int | None
    parts: list[str] = field(default_factory=list)
    reply_to: int | None = None
    forward: str | None = None  # group chats: the quoted message by conversation_message_id
    comment: CommentTarget | None = None
    decided: DeliveryResult | None = None

    @property
    def outbox_id(self) -> int:
        return self.reply.message.outbox_id


def split_text(text: str) -> list[str]:
    """VK's parts of an answer (never empty: VK refuses a blank message)."""
    return split_message(text, MESSAGE_MAX, max_parts=MAX_PARTS) or ["-"]


def random_id_for(outbox_id: int, part: int) -> int:
    """VK's random_id (int32): the outbox id for the first part; a disjoint negative id for the others."""
    return outbox_id if part == 0 else -(outbox_id * MAX_PARTS + part)


@dataclass(frozen=True)
class _Answered:
    target: ReplyTarget | None
    content_id: str | None


def _answered(session: Session, replies: Sequence[Reply]) -> dict[str, _Answered]:
    """The vk submissions answered (one query): their reply target and content id, by native id."""
    keys = {(CHANNEL, r.message.in_reply_to) for r in replies
            if r.message.channel == CHANNEL and r.message.in_reply_to is not None}
    if not keys:
        return {}
    rows = session.execute(
        select(Submission.native_id, Submission.event["reply_to"], Submission.event["content_id"].as_string())
        .where(submissions_with(keys))
    )
    return {native_id: _Answered(ReplyTarget.model_validate(target) if target else None, content_id)
            for native_id, target, content_id in rows}


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


class VkSender:
    resend_safe = True  # see PlatformSender.resend_safe
    channel = CHANNEL

    def __init__(self, config: VkConfig, client: VkClient | None = None) -> None:
        self.config = config
        self.client = client or VkClient(config)

    # --- first transaction

    def prepare(self, session: Session, replies: Sequence[Reply]) -> list[VkOutgoing | None]:
        answered = _answered(session, replies)
        vk_ids = first_identities(session, {r.client.id for r in replies
                                            if r.client is not None and r.message.channel != CHANNEL}, CHANNEL)
        prepared: list[VkOutgoing | None] = []
        for reply in replies:
            message = reply.message
            if message.channel == CHANNEL:
                found = answered.get(message.in_reply_to or "")
                prepared.append(self._to_dialog(reply, found) if found and found.target else None)
            else:  # a client of another channel who prefers VK: their private dialog
                user = _int(vk_ids.get(reply.client.id)) if reply.client else None
                prepared.append(VkOutgoing(reply, user, split_text(message.text)) if user else None)
        return prepared

    def _to_dialog(self, reply: Reply, found: _Answered) -> VkOutgoing:
        target = found.target
        assert target is not None
        peer_id = _int(target.address)
        if peer_id is None:
            return VkOutgoing(reply, None, decided=DeliveryResult(
                "failed", CHANNEL, target.address[:300], "некорректный адрес диалога VK: ответ не отправлен"))
        item = VkOutgoing(reply, peer_id, split_text(reply.message.text))
        comment = CommentTarget.parse(target.message_id)
        if comment is not None:
            item.comment = comment
            return item
        item.reply_to = _int(target.message_id)
        if item.reply_to is None and peer_id >= CHAT_PEER_START and found.content_id:
            cmid = _int(found.content_id.rpartition(":")[2])
            if cmid is not None:
                item.forward = json.dumps({"peer_id": peer_id, "conversation_message_ids": [cmid], "is_reply": True})
        return item

    # --- no transaction

    async def send(self, prepared: Sequence[VkOutgoing]) -> list[DeliveryResult | TemporaryFailure]:
        results: list[DeliveryResult | TemporaryFailure] = []
        halted: TemporaryFailure | None = None
        for item in prepared:
            if item.decided is not None:
                results.append(item.decided)
            elif halted is not None:  # VK is not answering or throttles us: the rest waits too
                results.append(halted)
            else:
                result = await self._send_one(item)
                if isinstance(result, TemporaryFailure):
                    halted = result
                results.append(result)
        return results

    async def _send_one(self, item: VkOutgoing) -> DeliveryResult | TemporaryFailure:
        try:
            if item.comment is not None:
                return await self._answer_comment(item, item.comment)
            return await self._message(item, item.peer_id)
        except VkUnavailable as exc:
            log.warning("vk: API unavailable (%s)", exc)
            return TemporaryFailure(f"VK API: {exc}")
        except VkError as exc:
            if exc.temporary:
                log.warning("vk: outbox %s: temporary error %s", item.outbox_id, exc.code)
                return TemporaryFailure(f"VK API: {exc}")
            log.warning("vk: outbox %s refused: error %s", item.outbox_id, exc.code)
            return DeliveryResult("failed", CHANNEL, str(item.peer_id),
                                  f"VK отклонил сообщение: {exc}"[:DETAIL_MAX])

    async def _call(self, method: str, **values: Any) -> Any:
        """A call, waiting briefly and trying again on error 6 (too many requests per second)."""
        for pause in (*RATE_LIMIT_PAUSES, None):
            try:
                return await self.client.acall(method, **values)
            except VkError as exc:
                if exc.code != 6 or pause is None:
                    raise
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _message(self, item: VkOutgoing, peer_id: int | None) -> DeliveryResult:
        assert peer_id is not None
        sent: list[str] = []
        for part, text in enumerate(item.parts):
            values: dict[str, Any] = {"peer_id": peer_id, "random_id": random_id_for(item.outbox_id, part),
                                      "message": text, "dont_parse_links": 1}
            if part == 0 and item.reply_to is not None:
                values["reply_to"] = item.reply_to
            if part == 0 and item.forward is not None:
                values["forward"] = item.forward
            sent.append(str(await self._call("messages.send", **values)))
        return DeliveryResult("sent", CHANNEL, str(peer_id), f"сообщение VK {', '.join(sent)}"[:DETAIL_MAX])

    async def _answer_comment(self, item: VkOutgoing, target: CommentTarget) -> DeliveryResult:
        user_id = item.peer_id
        assert user_id is not None
        allowed = await self._call("messages.isMessagesFromGroupAllowed", group_id=self.config.group_id,
                                   user_id=user_id)
        if isinstance(allowed, dict) and allowed.get("is_allowed") == 1:
            return await self._message(item, user_id)
        if not self.config.reply_by_comment:
            return DeliveryResult("failed", CHANNEL, str(user_id),
                                  "пользователь не разрешил сообщения от сообщества, ответ комментарием отключён")
        text = item.parts[0] if len(item.parts) == 1 else "\n\n".join(item.parts)[:MESSAGE_MAX * 4]
        if target.kind == "wall":
            done = await self._call("wall.createComment", owner_id=target.owner_id, post_id=target.item_id,
                                    from_group=self.config.group_id, message=text,
                                    reply_to_comment=target.comment_id, guid=str(item.outbox_id))
            where = f"wall{target.owner_id}_{target.item_id}"
        else:
            done = await self._call("board.createComment", group_id=abs(target.owner_id), topic_id=target.item_id,
                                    from_group=1, message=text, guid=str(item.outbox_id))
            where = f"topic{target.owner_id}_{target.item_id}"
        comment_id = done.get("comment_id") if isinstance(done, dict) else done
        return DeliveryResult("sent", CHANNEL, where, f"комментарий VK {comment_id} (личные сообщения не разрешены)")

    # --- second transaction

    def record(self, session: Session, prepared: Sequence[VkOutgoing], results: Sequence[DeliveryResult]) -> None:
        record_not_sent(session, ((item.reply.ticket_id, result.detail)
                                  for item, result in zip(prepared, results, strict=True) if result.status != "sent"),
                        "во ВКонтакте")


def from_settings(settings: Settings) -> PlatformSender[Any] | None:
    """The sender when the channel is configured, else None."""
    return VkSender(settings.vk) if settings.vk is not None else None
