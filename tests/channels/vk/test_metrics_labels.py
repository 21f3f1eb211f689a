"""An ignored VK event's type is a /metrics label only when VK documents it; any other type is counted as
`ignored_other`, so a sender cannot grow the public exposition without bound (issue 12, finding 8)."""

from __future__ import annotations

import re
import uuid
from collections import Counter

import httpx
import pytest

from tests.channels.vk.conftest import event, post_event
from workers.channels.registry import counter_labels
from workers.channels.vk.counters import outcome_label

pytestmark = pytest.mark.usefixtures("database_url")

LABEL = re.compile(r'complaints_channel_requests_total\{channel="vk",outcome="([^"]*)"\} (\d+)$', re.MULTILINE)


async def vk_outcomes(client: httpx.AsyncClient) -> dict[str, int]:
    page = await client.get("/metrics")
    assert page.status_code == 200
    return {outcome: int(value) for outcome, value in LABEL.findall(page.text)}


async def test_unknown_event_types_are_one_bounded_label(vk_web: httpx.AsyncClient) -> None:
    before = await vk_outcomes(vk_web)
    invented = [f"x_{uuid.uuid4().hex}" for _ in range(5)]
    for n, kind in enumerate(invented):
        body = event("message_new", type=kind, event_id=f"{n:040x}")
        response = await post_event(vk_web, body)
        assert (response.status_code, response.text) == (200, "ok")
    known = event("message_typing_state")
    assert (await post_event(vk_web, known)).status_code == 200

    after = await vk_outcomes(vk_web)

    assert not any(kind in outcome for kind in invented for outcome in after)
    assert after["ignored_other"] == before.get("ignored_other", 0) + len(invented)
    assert after["ignored_message_typing_state"] == before.get("ignored_message_typing_state", 0) + 1
    assert after["ignored"] == before.get("ignored", 0) + len(invented) + 1
    assert all(re.fullmatch(r"[a-z0-9_]+", outcome) for outcome in after)


def test_labels_of_the_vk_counter() -> None:
    assert outcome_label("ignored_group_join") == "ignored_group_join"
    assert outcome_label('ignored_"}\n evil') == "ignored_other"
    assert outcome_label("forged_bad_secret") == "forged_bad_secret"
    assert outcome_label("accepted") == "accepted"
    counted = Counter({"ignored": 3, "ignored_a": 1, "ignored_b": 1, "ignored_like_add": 1})
    assert counter_labels("vk", counted) == Counter({"ignored": 3, "ignored_other": 2, "ignored_like_add": 1})
    assert counter_labels("telegram", counted) is counted
