"""The storm: mixed submissions through the gateway's real edges (the `complaints web` process over HTTP),
and the tally that checks what became of each one.

Edges: the REST feedback API (web), the operator's phone form (phone), the VK Callback API webhook and the
Telegram webhook. Every submission comes from its own client (own e-mail, phone, VK peer, Telegram chat), so
each must make its own ticket; 1% are VK events nobody can answer (no peer), which must end in SHUNT. A
refused or failed request is retried with the same ids, as the platforms and the personal account do, until
the edge answers 2xx: from then on the gateway owes that submission.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import nats
from nats.js.errors import NotFoundError
from sqlalchemy import func, select

from channels.base import Channel, submission_id_for
from channels.telegram.parse import native_id as telegram_native_id
from router.models import Delivery, Outbox, Submission, Ticket
from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_vk import FakeVk
from tests.support.smtp import SmtpServer
from workers.app.runtime import Database
from workers.bus.shunt import ShuntEnvelope

API_TOKEN = "storm-token-lk"
API_CLIENT = "lk"
VK_GROUP = 229000001
VK_SECRET = "storm-callback-key"
VK_CONFIRMATION = "c0nf1rm"
TG_TOKEN = "123456:storm-token_ABC"
TG_SECRET = "storm_Secret-token"
OPERATOR = "op.anna"
OPERATOR_PASSWORD = "secret"
# The mix, by share of the storm (VK's sender is held to 20 requests/s, as VK holds a community token).
# "vk-bad": a VK message event without its peer, which the gateway cannot answer: it must end in SHUNT
# with its reason (VK still gets "ok": a resend would not make it better).
POISON = "vk-bad"
MIX = (("web", 0.5), ("telegram", 0.2), ("phone", 0.19), ("vk", 0.1), (POISON, 0.01))
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
TEXTS = ("Второй день нет интернета, прошу разобраться.", "Списали деньги за услугу, которую я не подключал.",
         "Скорость ниже тарифной каждый вечер.", "Мастер не пришёл в назначенное время.")


def gateway_settings(vk: FakeVk, telegram: FakeTelegram, smtp: SmtpServer) -> dict[str, str]:
    """COMPLAINTS_* settings of every gateway process of the storm: the channels pointed at the fakes."""
    return {
        "COMPLAINTS_SESSION_SECRET": "storm-session-secret-" + "x" * 32,
        "COMPLAINTS_API_TOKENS": json.dumps({API_CLIENT: {"token": API_TOKEN, "scopes": ["feedback"]}}),
        "COMPLAINTS_VK": json.dumps({"group_id": VK_GROUP, "token": vk.token, "api_base": vk.api_base,
                                     "secret": VK_SECRET, "confirmation": VK_CONFIRMATION}),
        "COMPLAINTS_TELEGRAM": json.dumps({"token": TG_TOKEN, "mode": "webhook", "api_base": telegram.base_url,
                                           "webhook_secret": TG_SECRET, "timeout": 10}),
        "COMPLAINTS_SMTP": json.dumps({"host": smtp.host, "port": smtp.port, "start_tls": False,
                                       "from_address": "claims@operator.example", "timeout": 10}),
        # A killed worker's unacked batch comes back after ack_wait: 20 s rather than a minute.
        "COMPLAINTS_ACK_WAIT": "20",
        "COMPLAINTS_MAX_DELIVER": "8",
        "COMPLAINTS_RETRY_BACKOFF": "[0.5, 1, 2, 5, 10]",
    }


@dataclass
class Accepted:
    kind: str
    submission_id: str
    attempts: int  # requests it took (1 = accepted at once)
    address: str  # VK peer, Telegram chat, e-mail or phone of its client


@dataclass
class StormReport:
    accepted: dict[str, Accepted] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)  # non-2xx answers and errors, by kind
    gave_up: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def poison(self) -> int:
        """Accepted submissions made to be unprocessable (they must end in SHUNT)."""
        return sum(1 for a in self.accepted.values() if a.kind == POISON)

    @property
    def retried(self) -> int:
        return sum(1 for a in self.accepted.values() if a.attempts > 1)


def plan(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    kinds = [kind for kind, share in MIX for _ in range(round(n * share))]
    kinds = (kinds + ["web"] * n)[:n]
    rng.shuffle(kinds)
    return kinds


@dataclass
class StormDriver:
    base_url: str
    concurrency: int = 48
    give_up_after: float = 300.0  # per submission
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    _csrf: str = ""
    _phone: httpx.AsyncClient | None = None

    async def _login(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(base_url=self.base_url, timeout=30)
        page = await client.get("/login")
        found = CSRF_RE.search(page.text)
        assert found, f"no CSRF token on /login ({page.status_code})"
        answer = await client.post("/login", data={"login": OPERATOR, "password": OPERATOR_PASSWORD,
                                                   "csrf_token": found.group(1), "next": "/"})
        assert answer.status_code in (200, 303), f"operator login failed: {answer.status_code}"
        home = await client.get("/")
        found = CSRF_RE.search(home.text)
        assert found, "no CSRF token after login"
        self._csrf = found.group(1)
        return client

    async def run(self, n: int, seed: int = 12, report: StormReport | None = None) -> StormReport:
        """Submit n submissions, each until a 2xx; returns what was accepted (`report`, filled as they are)."""
        report = report if report is not None else StormReport()
        began = time.monotonic()
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30, limits=limits) as client:
            self._phone = await self._login()
            try:
                queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
                for i, kind in enumerate(plan(n, seed)):
                    queue.put_nowait((i, kind))

                async def lane() -> None:
                    while not queue.empty():
                        i, kind = queue.get_nowait()
                        await self._one(client, i, kind, report)

                await asyncio.gather(*(lane() for _ in range(self.concurrency)))
            finally:
                await self._phone.aclose()
        report.seconds = time.monotonic() - began
        return report

    async def _one(self, client: httpx.AsyncClient, i: int, kind: str, report: StormReport) -> None:
        request, address = self._request(i, kind)
        deadline = time.monotonic() + self.give_up_after
        attempts = 0
        while time.monotonic() < deadline:
            attempts += 1
            try:
                sid = await request(client)
            except (httpx.HTTPError, OSError) as exc:
                report.refused[f"{kind}:{type(exc).__name__}"] += 1
                sid = None
            if isinstance(sid, str):
                report.accepted[sid] = Accepted(kind, sid, attempts, address)
                return
            if isinstance(sid, int):
                report.refused[f"{kind}:{sid}"] += 1
            await asyncio.sleep(min(0.2 * attempts, 2.0))
        report.gave_up.append(f"{kind}-{i}")

    def _request(self, i: int, kind: str) -> tuple[Any, str]:
        text = f"Обращение {self.run_id}-{i}. {TEXTS[i % len(TEXTS)]}"
        if kind == "web":
            key = f"storm-{self.run_id}-{i}"
            email = f"client{i}.{self.run_id}@example.ru"

            async def web(client: httpx.AsyncClient) -> str | int:
                r = await client.post("/api/v1/feedback", json={"text": text, "email": email},
                                      headers={"Authorization": f"Bearer {API_TOKEN}", "Idempotency-Key": key})
                return str(r.json()["submission_id"]) if r.status_code == 202 else r.status_code
            return web, email
        if kind == "phone":
            key = str(uuid.UUID(int=random.Random(f"{self.run_id}-{i}").getrandbits(128), version=4))
            phone = f"+7926{i:07d}"

            async def phone_form(client: httpx.AsyncClient) -> str | int:
                assert self._phone is not None
                r = await self._phone.post("/phone/new", data={
                    "csrf_token": self._csrf, "idempotency_key": key, "caller_phone": phone, "text": text})
                if r.status_code == 303 and r.headers.get("location", "").startswith("/submissions/"):
                    return str(r.headers["location"].rsplit("/", 1)[1])
                return r.status_code
            return phone_form, phone
        if kind in ("vk", POISON):
            event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"vk-{self.run_id}-{i}").hex + f"{i:08x}"
            peer = 600_000_000 + i
            body: dict[str, Any] = {"group_id": VK_GROUP, "type": "message_new", "event_id": event_id, "v": "5.199",
                    "secret": VK_SECRET,
                    "object": {"message": {"date": int(time.time()), "from_id": peer, "peer_id": peer, "id": i + 1,
                                           "out": 0, "attachments": [], "conversation_message_id": i + 1,
                                           "fwd_messages": [], "important": False, "is_hidden": False,
                                           "random_id": 0, "text": text},
                               "client_info": {"button_actions": ["text"], "keyboard": True,
                                               "inline_keyboard": True, "carousel": True, "lang_id": 0}}}
            if kind == POISON:
                body["object"] = {"message": {"text": text}}  # no peer_id, from_id, id: nobody to answer
            sid = str(submission_id_for(Channel.VK, f"{VK_GROUP}:{event_id}"))

            async def vk(client: httpx.AsyncClient) -> str | int:
                r = await client.post("/channels/vk/callback", json=body)
                return sid if r.status_code == 200 and r.text == "ok" else r.status_code
            return vk, str(peer)
        assert kind == "telegram"
        update_id = 500_000_000 + i
        chat = 700_000_000 + i
        user = {"id": chat, "is_bot": False, "first_name": "Клиент", "last_name": str(i), "language_code": "ru"}
        update = {"update_id": update_id, "message": {
            "message_id": i + 1, "from": user, "date": int(time.time()), "text": text,
            "chat": {"id": chat, "first_name": "Клиент", "last_name": str(i), "type": "private"}}}
        tg_sid = str(submission_id_for(Channel.TELEGRAM, telegram_native_id(int(TG_TOKEN.split(":")[0]), update_id)))

        async def telegram(client: httpx.AsyncClient) -> str | int:
            r = await client.post("/channels/telegram/webhook", json=update,
                                  headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET})
            return tg_sid if r.status_code == 200 else r.status_code
        return telegram, str(chat)


# --- the tally


@dataclass
class Outcome:
    accepted: int
    tickets: int  # of the accepted submissions
    shunted: dict[str, str]  # submission id -> reason
    lost: list[str]
    duplicate_tickets: int  # tickets beyond one per submission
    merged: int  # tickets holding more than one storm submission (each came from its own client)
    replies: Counter[str]  # replies seen at the platforms, by kind
    duplicate_replies: Counter[str]
    missing_replies: Counter[str]
    pending_outbox: int
    undelivered: int

    @property
    def settled(self) -> bool:
        return not self.lost and not self.pending_outbox and not self.undelivered and not sum(
            self.missing_replies.values())

    def figures(self) -> str:
        return (f"accepted {self.accepted}, tickets {self.tickets}, shunted {len(self.shunted)}, "
                f"lost {len(self.lost)}, duplicate tickets {self.duplicate_tickets}, merged {self.merged}, "
                f"replies {dict(self.replies)}, duplicate replies {sum(self.duplicate_replies.values())} "
                f"{dict(self.duplicate_replies)}, missing replies {dict(self.missing_replies)}, "
                f"outbox pending {self.pending_outbox}, undelivered {self.undelivered}")


def assert_every_acknowledged_submission_settled(outcome: Outcome, report: StormReport, submissions: int) -> None:
    """After a storm with a fault: nothing acknowledged lost, exactly the unprocessable ones in SHUNT with their
    reasons, every other one a ticket of its own, every reply out exactly once."""
    assert not outcome.lost, f"{len(outcome.lost)} acknowledged submissions lost, e.g. {outcome.lost[:5]}"
    assert outcome.tickets + len(outcome.shunted) == submissions
    # Exactly the unprocessable ones are in SHUNT, each with its reason; everything else is a ticket.
    assert report.poison > 0 and len(outcome.shunted) == report.poison
    assert all(reason.strip() for reason in outcome.shunted.values())
    assert outcome.duplicate_tickets == 0 and outcome.merged == 0
    assert sum(outcome.duplicate_replies.values()) == 0, f"duplicate replies: {dict(outcome.duplicate_replies)}"
    assert sum(outcome.missing_replies.values()) == 0, f"missing replies: {dict(outcome.missing_replies)}"
    assert outcome.pending_outbox == 0 and outcome.undelivered == 0


def _submission_of(envelope: ShuntEnvelope, body: Any) -> str | None:
    """The submission a SHUNT record stands for: by the native id a channel recorded at its edge, else by the
    RawSubmission (submission_id) or ComplaintEvent (channel and native_id) it holds."""
    native_key = envelope.headers.get("Complaints-Native-Id", "")
    if ":" in native_key:
        channel, native = native_key.split(":", 1)
        return str(submission_id_for(Channel(channel), native))
    if not isinstance(body, dict):
        return None
    if body.get("submission_id"):
        return str(body["submission_id"])
    if body.get("channel") and body.get("native_id"):
        return str(submission_id_for(Channel(body["channel"]), str(body["native_id"])))
    return None


async def shunted_submissions(nats_url: str) -> dict[str, str]:
    """Submission id -> reason, for everything in SHUNT whose body names a submission."""
    nc = await nats.connect(servers=nats_url.split(","), max_reconnect_attempts=-1)
    found: dict[str, str] = {}
    try:
        js = nc.jetstream()
        info = await js.stream_info("SHUNT")
        if info.state.messages:
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg("SHUNT", seq)
                except NotFoundError:
                    continue
                envelope = ShuntEnvelope.model_validate_json(msg.data or b"{}")
                try:
                    body: Any = json.loads(envelope.data)
                except ValueError:
                    body = None
                sid = _submission_of(envelope, body)
                if sid:
                    found[str(sid)] = envelope.reason
    finally:
        await nc.close()
    return found


def _counts(values: list[str]) -> Counter[str]:
    return Counter(values)


async def tally(database: Database, nats_url: str, report: StormReport, vk: FakeVk, telegram: FakeTelegram,
                smtp: SmtpServer) -> Outcome:
    async with database.read_sessions() as session:
        rows = (await session.execute(select(Submission.id, Submission.ticket_id))).all()
        tickets_total = await session.scalar(select(func.count()).select_from(Ticket)) or 0
        pending = await session.scalar(select(func.count()).select_from(Outbox).where(Outbox.sent_at.is_(None))) or 0
        outbound = await session.scalar(
            select(func.count()).select_from(Outbox).where(Outbox.subject.like("outbound.%"))) or 0
        delivered = await session.scalar(select(func.count()).select_from(Delivery)) or 0
    ticket_of = {str(sid): ticket for sid, ticket in rows if ticket is not None}
    shunted = await shunted_submissions(nats_url)
    ours = report.accepted
    lost = [sid for sid in ours if sid not in ticket_of and sid not in shunted]
    per_ticket = Counter(ticket_of[sid] for sid in ours if sid in ticket_of)
    duplicate_tickets = max(0, tickets_total - len(set(ticket_of.values())))
    merged = sum(1 for count in per_ticket.values() if count > 1)

    expected: dict[str, set[str]] = {"vk": set(), "telegram": set()}
    for sid, item in ours.items():
        if item.kind in expected and sid in ticket_of:
            expected[item.kind].add(item.address)
    seen = {"vk": _counts([m["peer_id"] for m in vk.messages]),
            "telegram": _counts([str(m.get("chat_id")) for m in telegram.sent()]),
            "email": _counts([f"{','.join(r.rcpt_tos)} {r.message['Message-ID']}" for r in smtp.received])}
    replies: Counter[str] = Counter({kind: sum(c.values()) for kind, c in seen.items()})
    duplicates: Counter[str] = Counter({kind: sum(n - 1 for n in c.values() if n > 1) for kind, c in seen.items()})
    missing: Counter[str] = Counter({kind: len(addresses - set(seen[kind])) for kind, addresses in expected.items()})
    return Outcome(accepted=len(ours), tickets=len(per_ticket), shunted={s: r for s, r in shunted.items() if s in ours},
                   lost=lost, duplicate_tickets=duplicate_tickets, merged=merged, replies=replies,
                   duplicate_replies=duplicates, missing_replies=missing, pending_outbox=pending,
                   undelivered=max(0, outbound - delivered))


async def drain(database: Database, nats_url: str, report: StormReport, vk: FakeVk, telegram: FakeTelegram,
                smtp: SmtpServer, within: float = 300.0) -> tuple[Outcome, float]:
    """Poll the tally until every accepted submission is a ticket or shunted and every reply went out;
    returns the last tally and the seconds it took."""
    began = time.monotonic()
    outcome = await tally(database, nats_url, report, vk, telegram, smtp)
    while not outcome.settled and time.monotonic() - began < within:
        await asyncio.sleep(2.0)
        outcome = await tally(database, nats_url, report, vk, telegram, smtp)
    # Settled: wait a little longer for any late duplicate (a redelivered reply) to show up.
    await asyncio.sleep(3.0)
    outcome = await tally(database, nats_url, report, vk, telegram, smtp)
    return outcome, time.monotonic() - began
