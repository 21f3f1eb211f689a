"""Every input of the hostile corpus (tests/data/hostile, issue 12) fed to its real entry point, each ending as its
entry's MANIFEST.json says: a clear 4xx ("refused", nothing accepted), an event that reached the store (a
submission row, its text kept as text and the ticket page showing no active content), or a quarantine record
with its reason in SHUNT; CSV files end in the rows and line errors the import reports. Never a 500, a crash
or a loss.

One gateway for the module: a real nats-server, a migrated SQLite database with the test directory, the
normalize and route workers, and the web app with the VK, OK and Telegram channels on. The cases run in order
and each waits for its own outcome, so what appears in the store or in SHUNT after a case is that case's.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from faststream.nats import NatsBroker
from nats.js import JetStreamContext
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from channels.base import Channel
from channels.email.submission import mail_native_id, store_mail
from channels.ok.config import OkConfig
from channels.vk.config import VkConfig
from router.models import Client, Submission, Ticket
from router.timeutil import utcnow
from tests.channels.ok.conftest import OK_SOURCE
from tests.channels.ok.conftest import SECRET as OK_SECRET
from tests.channels.telegram.conftest import SECRET as TELEGRAM_SECRET
from tests.channels.telegram.conftest import TOKEN as TELEGRAM_TOKEN
from tests.channels.telegram.conftest import telegram_config
from tests.channels.vk.conftest import GROUP_ID as VK_GROUP_ID
from tests.channels.vk.conftest import SECRET as VK_SECRET
from tests.hostile.corpus import Case, active_content, load_cases
from tests.support.directory import IVANOV, ORLOVA, seed_directory, staff
from tests.support.fake_telegram import fake_telegram
from tests.support.gateway import web_client
from tests.web.conftest import API_TOKEN, connected_broker, csrf_of, login
from workers.app.nats_embedded import EmbeddedNats
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.shunt import ShuntedMessage, get_shunted, jetstream_of
from workers.channels.email.process import publish_mail
from workers.channels.scan.fax_intake import hand_faxes_to_scan
from workers.cli import app as cli_app

pytestmark = pytest.mark.asyncio(loop_scope="module")

CASES = load_cases()
# Stages of the outbound side: not what an input is fed to (they do not run here anyway).
OUTBOUND_STAGES = frozenset({"deliver", "relay", "attachments", "notify"})
ACCEPTED = (200, 202, 303)
WAIT = 30.0
MAILBOX, UIDVALIDITY = "claims", 7
CHANNEL_OF = {"email": (Channel.EMAIL,), "vk": (Channel.VK,), "ok": (Channel.OK,), "telegram": (Channel.TELEGRAM,),
              "rest": (Channel.WEB,), "phone": (Channel.PHONE,), "scan": (Channel.POST, Channel.FAX)}


@dataclass
class Gateway:
    settings: Settings
    database: Database
    broker: NatsBroker
    platform: httpx.AsyncClient  # what the platforms' POSTs arrive at (from inside OK's networks)
    operator: httpx.AsyncClient  # op.anna, logged in: the phone form and the scan upload
    head: httpx.AsyncClient  # h.subscriber, logged in: sees every ticket and the quarantine
    clients: dict[str, int]  # contract number -> client id

    @property
    def js(self) -> JetStreamContext:
        return jetstream_of(self.broker)

    def client_at(self, source: str) -> httpx.AsyncClient:
        return web_client(self.settings, self.database, self.broker, (source, 40002))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    data_dir = tmp_path_factory.mktemp("hostile")
    nats = EmbeddedNats(data_dir)
    url = nats.start()
    try:
        async with fake_telegram(TELEGRAM_TOKEN) as telegram, contextlib.AsyncExitStack() as stack:
            settings = Settings(
                data_dir=data_dir, NATS_URL=url, DATABASE_URL=None,
                api_tokens={"lk": {"token": API_TOKEN, "scopes": ["feedback", "tickets:read", "tickets:act"]}},
                max_deliver=3, retry_backoff=[0.1, 0.1, 0.1], ack_wait=10.0,
                vk=VkConfig(group_id=VK_GROUP_ID, token=SecretStr("vk-token"), api_base="http://127.0.0.1:9/method",
                            secret=SecretStr(VK_SECRET), confirmation="a1b2c3d4"),
                ok=OkConfig.model_validate({"token": "ok-token", "api_base": "http://127.0.0.1:9",
                                            "webhook_secret": OK_SECRET}),
                telegram=telegram_config(telegram),
            )
            database = Database.from_settings(settings)
            await database.migrate()
            stack.push_async_callback(database.close)
            async with database.sessions() as session, session.begin():
                await seed_directory(session)
                session.add(staff("h.subscriber2", "subscriber_head"))
            async with database.sessions() as session:
                clients = {c.contract_number: c.id for c in await session.scalars(select(Client))}
            await stack.enter_async_context(WorkerSet(settings, names=("normalize", "route"), database=database,
                                                      nats_url=url))
            broker = await connected_broker(url, settings)
            stack.push_async_callback(broker.stop)
            platform = await stack.enter_async_context(web_client(settings, database, broker, OK_SOURCE))
            operator = await stack.enter_async_context(web_client(settings, database, broker, ("127.0.0.1", 40010)))
            head = await stack.enter_async_context(web_client(settings, database, broker, ("127.0.0.1", 40011)))
            assert (await login(operator, "op.anna", "secret")).status_code == 303
            assert (await login(head, "h.subscriber", "secret")).status_code == 303
            yield Gateway(settings, database, broker, platform, operator, head, clients)
    finally:
        nats.stop()


# --- what the store holds -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    intake: int
    shunt: int
    submissions: int


async def last_seq(js: JetStreamContext, stream: str) -> int:
    return int((await js.stream_info(stream)).state.last_seq)


async def mark(gw: Gateway) -> Mark:
    async with gw.database.sessions() as session:
        submissions = len(list(await session.scalars(select(Submission.id))))
    return Mark(await last_seq(gw.js, "INTAKE"), await last_seq(gw.js, "SHUNT"), submissions)


async def shunted_since(gw: Gateway, seq: int) -> list[ShuntedMessage]:
    found = []
    for number in range(seq + 1, await last_seq(gw.js, "SHUNT") + 1):
        item = await get_shunted(gw.js, number)
        if item is not None and item.envelope.stage not in OUTBOUND_STAGES:
            found.append(item)
    return found


async def submissions_since(gw: Gateway, before: Mark) -> list[Submission]:
    async with gw.database.sessions() as session:
        rows = list(await session.scalars(select(Submission).order_by(Submission.routed_at)))
    return rows[before.submissions:] if len(rows) > before.submissions else []


async def outcome_of(gw: Gateway, before: Mark, within: float = WAIT) -> tuple[list[Submission], list[ShuntedMessage]]:
    """Wait until this case's input is either a submission row or a SHUNT record (a loss fails here)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        rows, shunted = await submissions_since(gw, before), await shunted_since(gw, before.shunt)
        if rows or shunted:
            await asyncio.sleep(0.1)  # anything else the same input produced
            return await submissions_since(gw, before), await shunted_since(gw, before.shunt)
        if loop.time() > deadline:
            intake = await last_seq(gw.js, "INTAKE")
            raise AssertionError(f"lost: nothing stored and nothing quarantined in {within}s "
                                 f"(INTAKE {before.intake} -> {intake})")
        await asyncio.sleep(0.05)


# --- feeding each entry point -------------------------------------------------------------------------------


@dataclass
class Fed:
    status: int | None  # the HTTP answer (None: no HTTP edge, e.g. email handed over by the IMAP loop)
    text: str = ""
    submission_id: str | None = None  # when the edge tells it


def submission_of(response: httpx.Response) -> str | None:
    location = str(response.headers.get("location", ""))
    if response.status_code == 303 and location.startswith("/submissions/"):
        return location.removeprefix("/submissions/")
    if response.status_code == 202:
        return str(response.json()["submission_id"])
    return None


async def post_json(client: httpx.AsyncClient, url: str, case: Case, headers: dict[str, str]) -> Fed:
    response = await client.post(url, content=case.data, headers={"Content-Type": "application/json", **headers,
                                                                    **case.expect.get("headers", {})})
    return Fed(response.status_code, response.text, submission_of(response))


async def feed_vk(gw: Gateway, case: Case) -> Fed:
    return await post_json(gw.platform, "/channels/vk/callback", case, {})


async def feed_telegram(gw: Gateway, case: Case) -> Fed:
    secret = case.expect.get("secret", TELEGRAM_SECRET)
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    return await post_json(gw.platform, "/channels/telegram/webhook", case, headers)


async def feed_ok(gw: Gateway, case: Case) -> Fed:
    url = f"/channels/ok/webhook/{case.expect.get('path_secret', OK_SECRET)}"
    if "source" not in case.expect:
        return await post_json(gw.platform, url, case, {})
    async with gw.client_at(case.expect["source"]) as client:
        return await post_json(client, url, case, {})


async def feed_rest(gw: Gateway, case: Case) -> Fed:
    headers: dict[str, str] = {}
    token = case.expect.get("token", API_TOKEN)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    key = case.expect.get("key", f"hostile-{uuid.uuid4()}")
    if key is not None:
        headers["Idempotency-Key"] = key
    return await post_json(gw.platform, "/api/v1/feedback", case, headers)


async def csrf(client: httpx.AsyncClient) -> str:
    return csrf_of((await client.get("/phone/new")).text)


async def feed_phone(gw: Gateway, case: Case) -> Fed:
    body = (case.data.replace(b"__CSRF__", (await csrf(gw.operator)).encode())
            .replace(b"__KEY__", str(uuid.uuid4()).encode())
            .replace(b"__CLIENT_IVANOV__", str(gw.clients[IVANOV.contract]).encode())
            .replace(b"__CLIENT_ORLOVA__", str(gw.clients[ORLOVA.contract]).encode()))
    content_type = case.expect.get("content_type", "application/x-www-form-urlencoded")
    response = await gw.operator.post("/phone/new", content=body, headers={"Content-Type": content_type})
    return Fed(response.status_code, response.text, submission_of(response))


async def feed_scan(gw: Gateway, case: Case) -> Fed:
    fields: dict[str, str] = {"channel": case.expect.get("channel", "post"),
                              "received_date": case.expect.get("received_date", "2026-11-20")}
    if case.expect.get("csrf", True):
        fields["csrf_token"] = csrf_of((await gw.operator.get("/scans/upload")).text)
    if "envelope_sender" in case.expect:
        fields["envelope_sender"] = case.expect["envelope_sender"]
    filename = case.expect.get("filename", case.name.removesuffix(".recipe.json"))
    files = None if case.expect.get("no_file") else {"file": (filename, case.data, "application/octet-stream")}
    response = await gw.operator.post("/scans/upload", data=fields, files=files)
    return Fed(response.status_code, response.text, submission_of(response))


def email_native_id(case: Case) -> str:
    return mail_native_id(MAILBOX, UIDVALIDITY, zlib.crc32(case.name.encode()) + 1)


async def feed_email(gw: Gateway, case: Case) -> Fed:
    """As the email channel hands a fetched mail over: stored raw in the blob store, published to INTAKE (a fax
    gateway's mail to the scan channel instead), exactly as workers.channels.email.process does."""
    native_id = email_native_id(case)
    raw = store_mail(gw.settings.blobs, case.data, native_id=native_id, received_at=utcnow(),
                     origin={"mailbox": MAILBOX, "uidvalidity": UIDVALIDITY, "uid": native_id.rsplit(":", 1)[1]})
    faxes = await hand_faxes_to_scan(gw.js, gw.settings, raw)
    if faxes is None:
        await publish_mail(gw.js, raw)
    return Fed(None, submission_id=str(raw.submission_id))


FEEDERS = {"email": feed_email, "vk": feed_vk, "ok": feed_ok, "telegram": feed_telegram, "rest": feed_rest,
           "phone": feed_phone, "scan": feed_scan}


# --- the checks -----------------------------------------------------------------------------------------------


def no_server_error(case: Case, fed: Fed) -> None:
    assert fed.status is None or fed.status < 500, f"{case.id}: HTTP {fed.status}: {fed.text[:500]}"
    assert "Traceback" not in fed.text and "Internal Server Error" not in fed.text, fed.text[:500]


async def check_refused(gw: Gateway, case: Case, fed: Fed, before: Mark) -> None:
    assert fed.status == case.expect["status"], f"{case.id}: HTTP {fed.status}: {fed.text[:300]}"
    if "reason" in case.expect:
        assert case.expect["reason"] in fed.text, fed.text[:2000]
    assert active_content(fed.text) == [], "the refusal page shows the input's markup unescaped"
    await asyncio.sleep(0.05)
    assert await mark(gw) == before, "a refused input must not be accepted anywhere"


async def check_event(gw: Gateway, case: Case, fed: Fed, before: Mark) -> None:
    assert fed.status is None or fed.status in ACCEPTED, f"{case.id}: HTTP {fed.status}: {fed.text[:300]}"
    rows, shunted = await outcome_of(gw, before, WAIT * 2 if case.entry == "scan" else WAIT)
    assert shunted == [], f"quarantined instead: {[s.envelope.reason for s in shunted]}"
    assert len(rows) == 1, [r.native_id for r in rows]
    row = rows[0]
    assert row.channel in CHANNEL_OF[case.entry]
    if fed.submission_id is not None:
        assert row.id == fed.submission_id
    if case.entry == "email":
        assert row.native_id == email_native_id(case)
    event = row.event
    for fragment in case.expect.get("text_contains", []):
        assert fragment in event["text"], f"{fragment!r} not kept as text in {event['text'][:300]!r}"
    if "subject_contains" in case.expect:
        assert case.expect["subject_contains"] in (event.get("subject") or "")
    for field in case.expect.get("no_newline", []):
        value = event.get(field) or ""
        assert "\n" not in value and "\r" not in value, (field, value)
    if "emails" in case.expect:
        assert event["identities"]["emails"] == case.expect["emails"]
    for address in case.expect.get("emails_exclude", []):
        assert address not in event["identities"]["emails"]
        assert (event.get("reply_to") or {}).get("address") != address
    if row.ticket_id is not None:
        await check_ticket_page(gw, row.ticket_id)


async def check_ticket_page(gw: Gateway, ticket_id: int) -> None:
    async with gw.database.sessions() as session:
        ticket = await session.get(Ticket, ticket_id)
        assert ticket is not None
    page = await gw.head.get(f"/tickets/{ticket.number}")
    assert page.status_code == 200, page.text[:500]
    assert active_content(page.text) == [], f"ticket {ticket.number} shows active content unescaped"


async def check_quarantine(gw: Gateway, case: Case, fed: Fed, before: Mark) -> None:
    assert fed.status is None or fed.status in ACCEPTED, f"{case.id}: HTTP {fed.status}: {fed.text[:300]}"
    rows, shunted = await outcome_of(gw, before)
    assert rows == [], f"became a submission instead: {[r.event.get('text', '')[:200] for r in rows]}"
    assert len(shunted) == 1, [s.envelope.reason for s in shunted]
    envelope = shunted[0].envelope
    assert case.expect["reason"] in envelope.reason, envelope.reason
    if case.entry == "email":
        assert envelope.headers.get("Nats-Msg-Id") == f"email:{email_native_id(case)}"
    page = await gw.head.get("/quarantine")
    assert page.status_code == 200
    assert active_content(page.text) == [], "the quarantine page shows an input's markup unescaped"


def run_import(data_dir: Path, csv_file: Path) -> tuple[int, str]:
    env: dict[str, str | None] = {"COMPLAINTS_DATA_DIR": str(data_dir), "DATABASE_URL": None, "NATS_URL": None,
                                  "COLUMNS": "250"}
    result = CliRunner().invoke(cli_app, ["clients", "import", str(csv_file)], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout


async def check_import(gw: Gateway, case: Case, tmp_path: Path) -> None:
    csv_file = tmp_path / "clients.csv"
    csv_file.write_bytes(case.data)
    code, out = await asyncio.to_thread(run_import, gw.settings.data_dir, csv_file)
    assert "Traceback" not in out
    assert code == case.expect["exit_code"], out
    errors = out.split("Ошибки: строки пропущены", 1)[1].split("Предупреждения", 1)[0] if "Ошибки:" in out else ""
    lines = {int(part.split("│")[1]) for part in errors.splitlines()
             if part.startswith("│") and part.split("│")[1].strip().isdigit()}
    assert lines == set(case.expect["error_lines"]), out
    async with gw.database.sessions() as session:
        stored = {c.contract_number: c for c in await session.scalars(
            select(Client).where(Client.contract_number.in_([*case.expect["stored"],
                                                              *case.expect.get("stored_absent", [])])))}
    assert {k: c.name for k, c in stored.items()} == case.expect["stored"], out
    for contract, client in stored.items():
        page = await gw.operator.get("/phone", params={"q": contract})
        assert page.status_code == 200 and str(client.id) in page.text
        assert active_content(page.text) == [], f"the client card of {contract} shows markup unescaped"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_hostile_input(gateway: Gateway, case: Case, tmp_path: Path) -> None:
    if case.outcome == "import":
        await check_import(gateway, case, tmp_path)
        return
    before = await mark(gateway)
    fed = await FEEDERS[case.entry](gateway, case)
    no_server_error(case, fed)
    if case.outcome == "refused":
        await check_refused(gateway, case, fed, before)
    elif case.outcome == "event":
        await check_event(gateway, case, fed, before)
    else:
        await check_quarantine(gateway, case, fed, before)
