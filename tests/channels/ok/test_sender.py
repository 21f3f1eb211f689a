"""The OK sender on its own: connection refused is temporary for the whole batch, a bad token is refused.

What every sender promises (the chat, uncertain after an ambiguous timeout and never resent, temporary
failures retried, refusals on the ticket) is in test_contract.py (TestOkSender)."""

from __future__ import annotations

from channels.ok.config import OkConfig
from router.contracts import OutboundKind, OutboundMessage
from tests.support.fake_ok import FakeOk, closed_port
from workers.channels.ok.sender import OkOutgoing, OkSender
from workers.channels.senders.base import Contact, Reply, TemporaryFailure

MID = "mid:C3ed8b7c6a8ff.16ade4d4b28"
CHAT = "chat:C3ed8b7c6a8ff"
MESSAGES = f"/graph/me/messages/{CHAT}"


async def test_connection_refused_is_temporary_for_the_whole_batch() -> None:
    sender = OkSender(OkConfig(token="t", api_base=f"http://127.0.0.1:{closed_port()}",
                               webhook_secret="x" * 16))
    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="ok", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to=MID, text="Ответ")
    items = [OkOutgoing(Reply(message, Contact(1, None), 1), CHAT, "m.petrova")] * 2
    results = await sender.send(items)
    assert len(results) == 2 and all(isinstance(r, TemporaryFailure) for r in results)


async def test_bad_token_is_a_permanent_refusal(fake: FakeOk) -> None:
    sender = OkSender(OkConfig(token="wrong", api_base=fake.base_url, webhook_secret="x" * 16))
    message = OutboundMessage(outbox_id=1, kind=OutboundKind.ANSWER, channel="ok", ticket_number="C-2026-000001",
                              client_id=None, in_reply_to=MID, text="Ответ")
    [result] = await sender.send([OkOutgoing(Reply(message, None, 1), CHAT, None)])
    assert not isinstance(result, TemporaryFailure) and result.status == "failed"
    assert "error_code=102" in (result.detail or "") and "wrong" not in (result.detail or "")
    call = fake.calls_to(MESSAGES)[0]
    assert call.query["access_token"] == "wrong"  # the fake saw it; our detail text did not keep it
