"""VK, OK and Telegram misbehaving towards the gateway running in a real process (polling intakes, every worker).

Each platform's fake sits behind a FaultProxy (tests/faults/outage_support.py) that answers 5xx or 429 or holds
a request past the client's timeout; the fakes inject the platforms' own errors. For each platform:
- the polling loop meets 5xx / 429 / a held request (and VK's expired and lost long-poll keys): it reconnects,
  and every message becomes exactly one submission;
- client 1's reply meets 5xx and the platform's rate limit: retried with backoff, sent exactly once;
- client 2's reply is held past the timeout (the platform took it but did not answer): VK resends it under the
  same random_id (the fake dedupes, as VK does), OK and Telegram (no idempotency key) record it "uncertain"
  on the ticket and do not resend it: one message at the fake either way;
- client 3's reply is refused for good (VK 901, OK's permanent error, Telegram 403 bot blocked): "failed" with a
  history entry on the ticket, tried once.
Replies are counted at the fakes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from router.models import Delivery, Submission, TicketHistory
from tests.channels.ok.conftest import payload as ok_payload
from tests.channels.telegram.conftest import load as tg_load
from tests.channels.vk.conftest import GROUP_ID, lp_event
from tests.faults.outage_support import Fault, FaultProxy, GatewayProcess, gateway_env, shunt_reader, start_gateway
from tests.support.fake_ok import fake_ok
from tests.support.fake_telegram import fake_telegram
from tests.support.fake_vk import FakeVk
from tests.support.waiting import eventually
from workers.app.runtime import Database

pytestmark = pytest.mark.faults

BACKOFF = [0.5, 1.0, 2.0]
MAX_DELIVER = 8
CLIENT_TIMEOUT = 2.0  # the senders' and pollers' request timeout
HOLD = 6.0  # a held request answers after this long: past every client timeout
TG_TOKEN = "123456:test-token_ABC"


@pytest.fixture
async def proxy_for() -> AsyncIterator[Callable[[str], Any]]:
    proxies: list[FaultProxy] = []

    async def make(upstream: str) -> FaultProxy:
        proxy = await FaultProxy(upstream).start()
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        await proxy.stop()


@pytest.fixture
def gateway_for(data_dir: Path, nats_url: str, database: Database,
                tmp_path: Path) -> Iterator[Callable[[str, dict[str, Any]], GatewayProcess]]:
    """Every worker and one platform's polling intake in one `complaints worker` process."""
    started: list[GatewayProcess] = []

    def start(platform: str, config: dict[str, Any]) -> GatewayProcess:
        channel: dict[str, Any] = {platform: config}
        env = gateway_env(data_dir, nats_url, max_deliver=MAX_DELIVER, retry_backoff=BACKOFF, ack_wait=30, **channel)
        process = start_gateway(["worker", "normalize", "route", "relay", "deliver", platform], env,
                                tmp_path / f"{platform}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


# --- what the tests read back


async def native_ids(database: Database, channel: str) -> list[str]:
    async with database.sessions() as session:
        return list((await session.scalars(select(Submission.native_id).where(Submission.channel == channel))).all())


async def delivery_to(database: Database, channel: str, address: str) -> Delivery | None:
    async with database.sessions() as session:
        rows = (await session.scalars(select(Delivery).where(Delivery.channel == channel,
                                                             Delivery.address == address))).all()
    assert len(rows) <= 1, f"{len(rows)} deliveries to {address}"
    return rows[0] if rows else None


async def history(database: Database, ticket_id: int | None) -> list[tuple[str, str | None]]:
    assert ticket_id is not None, "a delivery without its ticket"
    async with database.sessions() as session:
        rows = await session.execute(select(TicketHistory.action, TicketHistory.note)
                                     .where(TicketHistory.ticket_id == ticket_id).order_by(TicketHistory.id))
        return [(row.action, row.note) for row in rows]


async def delivered(database: Database, channel: str, address: str, within: float = 60) -> Delivery:
    async def probe() -> Delivery | None:
        return await delivery_to(database, channel, address)

    found = await eventually(probe, within=within, every=0.2)
    assert found is not None
    return found


async def settled(nats_url: str, process: GatewayProcess) -> None:
    async with shunt_reader(nats_url) as shunted:
        assert await shunted() == []
    assert process.alive()


# --- VK


def vk_message(user: int, n: int) -> dict[str, Any]:
    body = lp_event(n, f"Жалоба из VK номер {n}: нет интернета")
    body["object"]["message"] = {**body["object"]["message"], "from_id": user, "peer_id": user}
    return body


async def test_vk_faults(database: Database, nats_url: str, proxy_for: Any, gateway_for: Any) -> None:
    fake = await FakeVk(GROUP_ID).start()
    try:
        proxy: FaultProxy = await proxy_for(f"http://127.0.0.1:{fake.port}")
        # The long-poll server: two 502s and a held request for its address, then an expired and a lost key.
        proxy.inject(Fault("groups.getLongPollServer", times=2))
        proxy.inject(Fault("groups.getLongPollServer", times=1, hold=HOLD))
        fake.fail_poll(2)
        fake.fail_poll(3)
        # Client 1's reply: a 502, then VK's "too many requests per second" (6) and "flood control" (9).
        proxy.inject(Fault("messages.send", times=1))
        fake.fail("messages.send", 6)
        fake.fail("messages.send", 9)
        config = {"group_id": GROUP_ID, "token": fake.token, "api_base": f"{proxy.base}/method", "mode": "longpoll",
                  "longpoll_wait": 1, "reconnect_delays": [0.2, 0.5, 1.0], "timeout": CLIENT_TIMEOUT}
        process = gateway_for("vk", config)
        users = [810001, 810002, 810003]
        events = [vk_message(user, n) for n, user in enumerate(users, start=1)]

        # VK's "failed 3" means the history is lost (events queued before it with it): the first message is
        # sent once the poller is through its failures and polling normally again.
        async def polling_again() -> bool:
            return proxy.caught_on("groups.getLongPollServer") == 3 and len(fake.polls) >= 3

        await eventually(polling_again, within=90, every=0.2)
        fake.push_event(events[0])
        first = await delivered(database, "vk", str(users[0]), within=120)
        assert first.status == "sent"
        assert len(fake.sent_to(users[0])) == 1
        attempts_1 = sum(c.params.get("peer_id") == str(users[0]) for c in fake.calls_to("messages.send"))
        assert attempts_1 == 3 and proxy.caught_on("messages.send") == 1  # 502 at the proxy, 6 and 9, then sent

        # Client 2's reply held past the timeout: VK took it; resent under the same random_id, shown once.
        proxy.inject(Fault("messages.send", times=1, hold=HOLD))
        fake.push_event(events[1])
        second = await delivered(database, "vk", str(users[1]), within=60)
        assert second.status == "sent"
        await asyncio.sleep(HOLD)  # the held copy reaches the fake by now
        random_ids = {c.params["random_id"] for c in fake.calls_to("messages.send")
                      if c.params.get("peer_id") == str(users[1])}
        assert len(fake.sent_to(users[1])) == 1 and len(random_ids) == 1
        assert sum(c.params.get("peer_id") == str(users[1]) for c in fake.calls_to("messages.send")) == 2

        # Client 3 does not accept messages from the community (901): failed, on the ticket, tried once.
        fake.fail("messages.send", 901)
        fake.push_event(events[2])
        third = await delivered(database, "vk", str(users[2]), within=60)
        assert third.status == "failed"
        notes = await history(database, third.ticket_id)
        assert any(action == "reply_not_sent" for action, _ in notes), notes
        await asyncio.sleep(sum(BACKOFF))
        assert fake.sent_to(users[2]) == []
        assert sum(c.params.get("peer_id") == str(users[2]) for c in fake.calls_to("messages.send")) == 1

        # The poller got through all of it; every message is one submission.
        assert sorted(await native_ids(database, "vk")) == sorted(f"{GROUP_ID}:{e['event_id']}" for e in events)
        assert proxy.caught_on("groups.getLongPollServer") == 3
        print(f"\nVK: {len(fake.calls_to('groups.getLongPollServer'))} long-poll server requests reached the fake, "
              f"{proxy.caught_on('groups.getLongPollServer')} failed at the proxy; replies {len(fake.messages)}")
        await settled(nats_url, process)
    finally:
        await fake.stop()


# --- Telegram


def tg_message(user: int, n: int) -> dict[str, Any]:
    update = tg_load("text_message")
    message = {**update["message"], "message_id": 200 + n, "text": f"Жалоба из Telegram номер {n}: нет интернета",
               "from": {**update["message"]["from"], "id": user, "username": f"client{n}"},
               "chat": {**update["message"]["chat"], "id": user, "username": f"client{n}"}}
    return {"update_id": 910000000 + n, "message": message}


TOO_MANY = json.dumps({"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                       "parameters": {"retry_after": 1}}).encode()


async def test_telegram_faults(database: Database, nats_url: str, proxy_for: Any, gateway_for: Any) -> None:
    async with fake_telegram(TG_TOKEN) as fake:
        proxy: FaultProxy = await proxy_for(fake.base_url)
        # getUpdates: two 502s, a 429 with retry_after, a request held past the timeout.
        proxy.inject(Fault("getUpdates", times=2))
        proxy.inject(Fault("getUpdates", times=1, status=429, body=TOO_MANY,
                           headers={"Content-Type": "application/json"}))
        proxy.inject(Fault("getUpdates", times=1, hold=HOLD + 4))
        # Client 1's reply: a 502 at the proxy, then Telegram's 429 asking for longer than is waited inline.
        proxy.inject(Fault("sendMessage", times=1))
        fake.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
        config = {"token": TG_TOKEN, "mode": "polling", "api_base": proxy.base, "poll_timeout": 1,
                  "retry_delays": [0.2, 0.5, 1.0], "timeout": CLIENT_TIMEOUT, "max_inline_retry_after": 1.0}
        process = gateway_for("telegram", config)
        users = [920001, 920002, 920003]
        updates = [tg_message(user, n) for n, user in enumerate(users, start=1)]

        fake.queue(updates[0])
        first = await delivered(database, "telegram", str(users[0]), within=120)
        assert first.status == "sent"
        assert len(fake.sent(users[0])) == 1
        statuses = [c.status for c in fake.called("sendMessage") if str(c.params.get("chat_id")) == str(users[0])]
        assert statuses == [429, 200] and proxy.caught_on("sendMessage") == 1

        # Client 2's reply held past the timeout: Telegram took it; not sent again, "uncertain" on the ticket.
        proxy.inject(Fault("sendMessage", times=1, hold=HOLD))
        fake.queue(updates[1])
        second = await delivered(database, "telegram", str(users[1]), within=60)
        await asyncio.sleep(HOLD + sum(BACKOFF))  # the held copy reaches the fake; a resend would be here too
        assert len(fake.sent(users[1])) == 1, fake.sent(users[1])
        assert second.status == "uncertain", (second.status, second.detail)
        notes = await history(database, second.ticket_id)
        assert any(action == "reply_uncertain" and "мог быть доставлен" in (note or "")
                   for action, note in notes), notes

        # Client 3 blocked the bot (403): failed, on the ticket, tried once.
        fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
        fake.queue(updates[2])
        third = await delivered(database, "telegram", str(users[2]), within=60)
        assert third.status == "failed" and "blocked" in (third.detail or "")
        notes = await history(database, third.ticket_id)
        assert any(action == "reply_not_sent" for action, _ in notes), notes
        await asyncio.sleep(sum(BACKOFF))
        assert len([c for c in fake.called("sendMessage") if str(c.params.get("chat_id")) == str(users[2])]) == 1

        assert sorted(await native_ids(database, "telegram")) == sorted(
            f"{fake.bot_id}:{u['update_id']}" for u in updates)
        assert proxy.caught_on("getUpdates") == 4
        print(f"\nTelegram: getUpdates {len(fake.called('getUpdates'))} at the fake, "
              f"{proxy.caught_on('getUpdates')} failed at the proxy; sendMessage {len(fake.called('sendMessage'))}")
        await settled(nats_url, process)


# --- OK


def ok_message(user: int, n: int) -> dict[str, Any]:
    event = ok_payload("message_created.json")
    chat = f"chat:C{user:x}"
    return {**event, "sender": {"user_id": f"user:{user}", "name": f"Клиент {n}"}, "recipient": {"chat_id": chat},
            "message": {**event["message"], "text": f"Жалоба из ОК номер {n}: нет интернета",
                        "mid": f"mid:C{user:x}.{n:x}", "seq": 100 + n}}


async def test_ok_faults(database: Database, nats_url: str, proxy_for: Any, gateway_for: Any) -> None:
    with fake_ok() as fake:
        proxy: FaultProxy = await proxy_for(fake.base_url)
        # graph.user.updates: two 502s, a 429, a request held past the timeout.
        proxy.inject(Fault("/graph/me/updates", times=2))
        proxy.inject(Fault("/graph/me/updates", times=1, status=429, body=b"Too Many Requests"))
        proxy.inject(Fault("/graph/me/updates", times=1, hold=HOLD))
        # Client 1's reply: a 502 at the proxy, then OK's FLOOD_BLOCKED.
        proxy.inject(Fault("/graph/me/messages", times=1))
        fake.then("error:8")
        config = {"token": fake.token, "mode": "longpoll", "api_base": proxy.base, "webhook_secret": None,
                  "poll_wait": 1.0, "send_timeout": CLIENT_TIMEOUT, "connect_timeout": 1.0}
        process = gateway_for("ok", config)
        users = [571000001, 571000002, 571000003]
        events = [ok_message(user, n) for n, user in enumerate(users, start=1)]
        chats = [e["recipient"]["chat_id"] for e in events]

        fake.push_update(events[0])
        first = await delivered(database, "ok", chats[0], within=120)
        assert first.status == "sent"
        assert len(fake.messages_in(chats[0])) == 1
        assert len(fake.calls_to(f"/graph/me/messages/{chats[0]}")) == 2 and proxy.caught_on("/graph/me/messages") == 1

        # Client 2's reply held past the timeout (OK took it): not sent again, "uncertain" on the ticket.
        fake.then(f"delay:{HOLD}")
        fake.push_update(events[1])
        second = await delivered(database, "ok", chats[1], within=60)
        assert second.status == "uncertain", (second.status, second.detail)
        await asyncio.sleep(sum(BACKOFF) + 1)
        assert len(fake.messages_in(chats[1])) == 1
        assert len(fake.calls_to(f"/graph/me/messages/{chats[1]}")) == 1
        notes = await history(database, second.ticket_id)
        assert any(action == "reply_uncertain" for action, _ in notes), notes

        # Client 3's reply refused for good (a permanent error code): failed, on the ticket, tried once.
        fake.then("error:100")
        fake.push_update(events[2])
        third = await delivered(database, "ok", chats[2], within=60)
        assert third.status == "failed"
        notes = await history(database, third.ticket_id)
        assert any(action == "reply_not_sent" for action, _ in notes), notes
        await asyncio.sleep(sum(BACKOFF))
        assert len(fake.calls_to(f"/graph/me/messages/{chats[2]}")) == 1
        assert fake.messages_in(chats[2]) == []

        assert sorted(await native_ids(database, "ok")) == sorted(e["message"]["mid"] for e in events)
        assert proxy.caught_on("/graph/me/updates") == 4
        print(f"\nOK: updates {len(fake.calls_to('/graph/me/updates'))} at the fake, "
              f"{proxy.caught_on('/graph/me/updates')} failed at the proxy; posted {len(fake.posted)}")
        await settled(nats_url, process)
