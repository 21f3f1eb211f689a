"""Pure: a VK event (Callback API body or Bots Long Poll update) -> what to do with it.

Both transports deliver the same object `{type, group_id, event_id, v, object[, secret]}`. Three
types become submissions (`message_new`, `wall_reply_new`, `board_post_new`); `confirmation` is the
server check; everything else is recorded (logged and counted) and ignored. Since API 5.103
`message_new.object` is `{message, client_info}`; before, it was the message itself: both are read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for

SUBMITTED = frozenset({"message_new", "wall_reply_new", "board_post_new"})
CONFIRMATION = "confirmation"
NATIVE_ID_MAX = 512


@dataclass(frozen=True)
class Parsed:
    action: Literal["submit", "confirm", "ignore"]
    type: str
    raw: RawSubmission | None = None
    reason: str | None = None


def message_of(obj: dict[str, Any]) -> dict[str, Any]:
    """The message of a `message_new` object, whatever the API version that shaped it."""
    inner = obj.get("message")
    if isinstance(inner, dict):  # 5.103+: {message, client_info}
        return inner
    return obj  # older: the message itself


def without_secret(body: dict[str, Any]) -> dict[str, Any]:
    """The body as stored: the shared secret never reaches a stream or the store."""
    return {key: value for key, value in body.items() if key != "secret"}


def event_native_id(body: dict[str, Any], group_id: int) -> str:
    """`<group_id>:<event_id>`; an event without event_id (old API) gets a digest of its content."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id and len(event_id) < NATIVE_ID_MAX - 24:
        return f"{group_id}:{event_id}"
    canonical = json.dumps(without_secret(body), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{group_id}:sha256-{hashlib.sha256(canonical.encode()).hexdigest()[:40]}"


def _object(body: dict[str, Any]) -> dict[str, Any]:
    obj = body.get("object")
    if not isinstance(obj, dict):
        raise BadSubmission(f"VK event {body.get('type')!r} without an object")
    return obj


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def own_post(body: dict[str, Any], group_id: int) -> bool:
    """A wall comment or board post written by the community itself (e.g. our own reply)."""
    if body.get("type") not in ("wall_reply_new", "board_post_new"):
        return False
    obj = body.get("object")
    return isinstance(obj, dict) and _int(obj.get("from_id")) == -group_id


def check_event(body: dict[str, Any]) -> None:
    """The minimum a submitted event must carry for the normalizer to make a complaint of it."""
    kind = body.get("type")
    obj = _object(body)
    if kind == "message_new":
        msg = message_of(obj)
        if _int(msg.get("peer_id")) is None or _int(msg.get("from_id")) is None:
            raise BadSubmission("VK message_new without peer_id/from_id")
    elif kind == "wall_reply_new":
        if any(_int(obj.get(f)) is None for f in ("id", "from_id", "post_id", "owner_id")):
            raise BadSubmission("VK wall_reply_new without id/from_id/post_id/owner_id")
    elif kind == "board_post_new":
        if any(_int(obj.get(f)) is None for f in ("id", "from_id", "topic_id", "topic_owner_id")):
            raise BadSubmission("VK board_post_new without id/from_id/topic_id/topic_owner_id")


def parse_event(body: Any, group_id: int, received_at: datetime) -> Parsed:
    """Decide what an event (already authenticated) is. Raises BadSubmission for a malformed one."""
    if not isinstance(body, dict):
        raise BadSubmission("VK event is not a JSON object")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise BadSubmission("VK event without a type")
    if kind == CONFIRMATION:
        return Parsed("confirm", kind)
    if kind not in SUBMITTED:
        return Parsed("ignore", kind, reason="type not handled")
    if own_post(body, group_id):
        return Parsed("ignore", kind, reason="written by the community itself")
    check_event(body)
    native_id = event_native_id(body, group_id)
    raw = RawSubmission(
        submission_id=submission_id_for(Channel.VK, native_id), channel=Channel.VK, native_id=native_id,
        received_at=received_at, payload=without_secret(body), sender_hint=_sender_hint(body),
    )
    return Parsed("submit", kind, raw=raw)


def _sender_hint(body: dict[str, Any]) -> str | None:
    obj = _object(body)
    source = message_of(obj) if body.get("type") == "message_new" else obj
    from_id = _int(source.get("from_id"))
    return f"vk:{from_id}" if from_id is not None else None
