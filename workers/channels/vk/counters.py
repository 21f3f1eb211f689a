"""The labels the VK callback counters are shown under on /metrics.

channels.vk.callback counts an ignored event as `ignored_<type>`, whatever type the request names; on the
public /metrics only the event types VK documents keep their own label, any other is `ignored_other` (a
label per unknown type would let the sender grow the exposition without bound).
"""

from __future__ import annotations

IGNORED_PREFIX = "ignored_"
OTHER = "other"

# The Callback API event types (dev.vk.com/ru/api/community-events/json-schema).
EVENT_TYPES = frozenset({
    "confirmation",
    "message_new", "message_reply", "message_edit", "message_allow", "message_deny", "message_typing_state",
    "message_event", "message_reaction_event", "message_read",
    "photo_new", "photo_comment_new", "photo_comment_edit", "photo_comment_restore", "photo_comment_delete",
    "audio_new",
    "video_new", "video_comment_new", "video_comment_edit", "video_comment_restore", "video_comment_delete",
    "wall_post_new", "wall_repost", "wall_schedule_post_new", "wall_schedule_post_delete",
    "wall_reply_new", "wall_reply_edit", "wall_reply_restore", "wall_reply_delete",
    "like_add", "like_remove",
    "board_post_new", "board_post_edit", "board_post_restore", "board_post_delete",
    "market_comment_new", "market_comment_edit", "market_comment_restore", "market_comment_delete",
    "market_order_new", "market_order_edit",
    "group_leave", "group_join", "user_block", "user_unblock",
    "poll_vote_new", "group_officers_edit", "group_change_settings", "group_change_photo",
    "vkpay_transaction", "app_payload",
    "donut_subscription_create", "donut_subscription_prolonged", "donut_subscription_expired",
    "donut_subscription_cancelled", "donut_subscription_price_changed", "donut_money_withdraw",
    "donut_money_withdraw_error",
})


def outcome_label(outcome: str) -> str:
    """The /metrics label of a VK counter: `ignored_<type>` of an undocumented type becomes `ignored_other`."""
    if outcome.startswith(IGNORED_PREFIX):
        kind = outcome.removeprefix(IGNORED_PREFIX)
        if kind not in EVENT_TYPES:
            return IGNORED_PREFIX + OTHER
    return outcome
