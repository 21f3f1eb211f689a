"""One IMAP connection to one mailbox folder (aioimaplib), with the guards aioimaplib lacks.

aioimaplib never fails a pending command when the server goes away (aioimaplib#110: `idle_start`
and friends hang forever), so every await on the server here is raced against the connection's
loss and an outer timeout; either raises `ImapUnavailable` and the caller reconnects.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import ssl
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import aioimaplib

from channels.base import ChannelUnavailable
from channels.email.config import MailboxConfig

log = logging.getLogger("complaints.email.imap")

T = TypeVar("T")
# PEEK: a plain BODY[] would set \Seen before the PubAck. INTERNALDATE: when the server received the mail,
# the moment the regulated clocks start from (not when we happened to fetch it).
FETCH_ITEMS = "(UID FLAGS INTERNALDATE BODY.PEEK[])"
_FETCH_START = re.compile(rb"^\d+ FETCH \(")
_UID = re.compile(rb"\bUID (\d+)")
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([ \d]\d-[A-Za-z]{3}-\d{4} \d\d:\d\d:\d\d [+-]\d{4})"')
_LITERAL = re.compile(rb"\{(\d+)\}$")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]")
_EXISTS = re.compile(rb"^\d+ EXISTS")
_LITERAL_START = re.compile(rb".*\{(\d+)\}$")  # aioimaplib's literal_data_re


class ImapUnavailable(ChannelUnavailable):
    """The server is gone, slow or refused a command: reconnect with backoff."""


class ImapLoginFailed(ImapUnavailable):
    pass


@dataclass
class FetchedMail:
    """One message of a UID FETCH answer; `data` is None when the answer carried no body."""

    uid: int
    flags: tuple[str, ...] = ()
    data: bytes | None = None
    problem: str | None = None
    internal_date: datetime | None = None  # the server's arrival time (RFC 3501 INTERNALDATE)


def uid_set(uids: Iterable[int]) -> str:
    """A compact IMAP sequence set: 1,2,3,7,9,10 -> '1:3,7,9:10'."""
    ordered = sorted(set(uids))
    if not ordered:
        raise ValueError("empty UID set")
    parts: list[str] = []
    start = prev = ordered[0]
    for uid in ordered[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def parse_search(lines: list[Any]) -> list[int]:
    """The UIDs of a (UID) SEARCH answer; the last line is the tagged status text."""
    found: list[int] = []
    for line in lines[:-1]:
        if isinstance(line, bytes | bytearray):
            found.extend(int(token) for token in bytes(line).removeprefix(b"SEARCH").split() if token.isdigit())
    return found


_MONTHS = {name: number for number, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


def parse_internal_date(value: bytes) -> datetime | None:
    """RFC 3501 date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (day may be space-padded), locale-independent;
    None when it does not parse (the caller falls back to the fetch time)."""
    try:
        day, month, rest = value.decode("ascii").strip().split("-", 2)
        year, clock, zone = rest.split(" ")
        hour, minute, second = (int(part) for part in clock.split(":"))
        sign = -1 if zone[0] == "-" else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return datetime(int(year), _MONTHS[month.lower()], int(day), hour, minute, second,
                        tzinfo=timezone(offset))
    except (ValueError, KeyError, IndexError):
        return None


def parse_fetch(lines: list[Any]) -> dict[int, FetchedMail]:
    """Mails of a UID FETCH answer by UID, tolerant of item order and of unsolicited FETCH lines.

    aioimaplib yields `bytes` for protocol lines and a `bytearray` for each literal (the body).
    """
    mails: dict[int, FetchedMail] = {}
    current: FetchedMail | None = None
    expecting_body = False
    for line in lines:
        if isinstance(line, bytearray):
            if current is not None and expecting_body:
                current.data = bytes(line)
            expecting_body = False
            continue
        if not isinstance(line, bytes):
            continue
        if _FETCH_START.match(line):
            uid = _UID.search(line)
            if uid is None:  # an unsolicited flag change without UID: not one of ours
                current = None
                continue
            current = mails.setdefault(int(uid.group(1)), FetchedMail(int(uid.group(1))))
        if current is None:
            continue
        internal = _INTERNALDATE.search(line)
        if internal:
            current.internal_date = parse_internal_date(internal.group(1))
        flags = _FLAGS.search(line)
        if flags:
            current.flags = tuple(flag.decode(errors="replace") for flag in flags.group(1).split())
        expecting_body = bool(_LITERAL.search(line))  # we ask for nothing else that comes as a literal
        if b"BODY[] NIL" in line:
            current.problem = "the server returned BODY[] NIL"
    return mails


class _FetchCommand(aioimaplib.FetchCommand):
    """aioimaplib's FETCH command without its quadratic costs (same answers, same timeout).

    aioimaplib asks after every line whether the FETCH answer is complete by re-scanning every line of
    the answer so far (with a regex, then joining them), and re-arms its inactivity timer with a new
    loop timer on every line: a batch of 200 mails cost more CPU than storing and publishing them.
    Here the scan is incremental (the same "parentheses balanced since the last `n FETCH (` line"),
    and the timer is re-armed lazily: it fires `timeout` seconds after the last line, as before.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._scanned = 0  # lines of _resp_lines looked at so far
        self._balance = 0  # count("(") - count(")") of the bytes lines since the last FETCH line
        self._last_activity = 0.0
        super().__init__(*args, **kwargs)

    def wait_data(self) -> bool:
        lines = self._resp_lines
        match, balance = self.FETCH_MESSAGE_DATA_RE.match, self._balance
        for index in range(self._scanned, len(lines)):
            line = lines[index]
            if isinstance(line, bytes):
                if match(line):
                    balance = 0
                balance += line.count(b"(") - line.count(b")")
        self._scanned, self._balance = len(lines), balance
        return balance != 0

    def _set_timer(self) -> None:
        if self._timeout is not None:
            self._last_activity = self._loop.time()
            self._timer = self._loop.call_later(self._timeout, self._check_timeout)

    def _reset_timer(self) -> None:
        if self._timeout is not None:
            self._last_activity = self._loop.time()  # the armed timer looks at this when it fires

    def _check_timeout(self) -> None:
        remaining = self._last_activity + self._timeout - self._loop.time()
        if remaining > 0:
            self._timer = self._loop.call_later(remaining, self._check_timeout)
        else:
            self._timeout_callback()


class _NewsProtocol(aioimaplib.IMAP4ClientProtocol):
    """Notes every `* n EXISTS`: dovecot may announce a new mail after a SEARCH that missed it, and
    aioimaplib drops such untagged lines; without this the mail would wait for the next IDLE renewal.

    It also reads the server's bytes in one pass: aioimaplib's reader recurses once per line, copies the
    rest of the received chunk at every line and every literal, and formats each whole chunk for a debug
    log line even when debug logging is off. The lines, literals and commands it hands on are the same.
    """

    news = False

    def _untagged_response(self, line: bytes) -> Any:
        if _EXISTS.match(line.removeprefix(b"* ")):
            self.news = True
        return super()._untagged_response(line)

    async def fetch(self, message_set: str, message_parts: str, by_uid: bool = False,
                    timeout: float | None = None) -> Any:  # noqa: ASYNC109 - aioimaplib's signature
        return await self.execute(_FetchCommand(self.new_tag(), message_set, message_parts,
                                                prefix="UID" if by_uid else "", loop=self.loop, timeout=timeout))

    def data_received(self, d: bytes) -> None:
        pending: bytes = getattr(self, "incomplete_line")  # noqa: B009 - untyped in aioimaplib
        cmd: Any = getattr(self, "current_command")  # noqa: B009
        data = pending + d if pending else d
        self.incomplete_line, self.current_command = b"", None
        end_of_data, position = len(data), 0
        while True:
            if position >= end_of_data:
                if self.pending_sync_command is not None:
                    self.pending_sync_command.flush()
                if cmd is not None and cmd.wait_data():
                    self.current_command = cmd
                return
            if cmd is not None and cmd.wait_literal_data():
                wanted = cmd._expected_size - len(cmd._resp_literal_data)
                cmd.append_literal_data(data[position:position + wanted])
                position += wanted
                if cmd.wait_literal_data():
                    self.current_command = cmd
                    return
            line_end = data.find(b"\r\n", position)
            if line_end < 0:
                self.current_command, self.incomplete_line = cmd, data[position:]
                return
            line = data[position:line_end]
            position = line_end + 2
            handled = self._handle_line(line, cmd)
            literal = _LITERAL_START.match(line)
            if literal:
                if handled is None:
                    handled = aioimaplib.Command("NIL", "unused")
                handled.begin_literal_data(int(literal.group(1)))
                cmd = handled
            elif handled is not None and handled.wait_data():
                cmd = handled
            else:
                cmd = None


class _Imap(aioimaplib.IMAP4):
    def create_client(self, host: str, port: int, loop: Any, conn_lost_cb: Any = None, ssl_context: Any = None) -> None:
        local_loop = loop if loop is not None else asyncio.get_running_loop()
        self.protocol = _NewsProtocol(local_loop, conn_lost_cb)
        self._client_task = local_loop.create_task(
            local_loop.create_connection(lambda: self.protocol, host, port, ssl=ssl_context))


class _ImapSsl(_Imap):
    def create_client(self, host: str, port: int, loop: Any, conn_lost_cb: Any = None, ssl_context: Any = None) -> None:
        super().create_client(host, port, loop, conn_lost_cb, ssl_context or ssl.create_default_context())


def _has_exists(push: Any) -> bool:
    return isinstance(push, list) and any(isinstance(line, bytes) and _EXISTS.match(line) for line in push)


@dataclass
class ImapSession:
    """Connected, logged in and with `config.folder` selected (read-write) after `open()`."""

    config: MailboxConfig
    timeout: float = 30.0
    client: aioimaplib.IMAP4 | None = field(default=None, init=False)
    uidvalidity: int = field(default=0, init=False)
    _lost: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    @property
    def supports_idle(self) -> bool:
        return self.config.idle and self.client is not None and self.client.has_capability("IDLE")

    @property
    def supports_move(self) -> bool:
        return self.client is not None and self.client.has_capability("MOVE")

    async def open(self) -> None:
        config = self.config
        cls = _ImapSsl if config.ssl else _Imap
        self.client = cls(host=config.host, port=config.port, timeout=self.timeout)
        self.client.protocol.conn_lost_cb = self._connection_lost
        await self._guard(self.client.wait_hello_from_server(), "connect")
        response = await self._guard(
            self.client.login(config.username, config.password.get_secret_value()), "LOGIN")
        if response.result != "OK":
            raise ImapLoginFailed(f"LOGIN refused for mailbox {config.name!r}: {_text(response.lines)}")
        response = await self._guard(self.client.select(_quote(config.folder)), "SELECT")
        self._ok(response, "SELECT")
        self.uidvalidity = _uidvalidity(response.lines)
        if config.processed_folder:
            # NO [ALREADYEXISTS] is the usual answer; any real problem shows up at the first MOVE.
            await self._guard(self.client.create(_quote(config.processed_folder)), "CREATE")

    def _connection_lost(self, exc: Exception | None) -> None:
        self._lost.set()

    async def close(self) -> None:
        """Best effort LOGOUT; the connection may already be gone."""
        if self.client is None:
            return
        if not self._lost.is_set():
            try:
                await self._guard(self.client.logout(), "LOGOUT", limit=2.0)
            except (ImapUnavailable, aioimaplib.AioImapException):
                pass
        transport = self.client.protocol.transport
        if transport is not None:
            transport.close()

    async def _guard(self, awaitable: Awaitable[T], what: str, limit: float | None = None) -> T:
        """Await a server call, but give up when the connection drops or the server stalls."""
        if self._lost.is_set():
            if inspect.iscoroutine(awaitable):
                awaitable.close()  # never started: say so, instead of a "never awaited" warning
            raise ImapUnavailable(f"connection to {self.config.name!r} lost before {what}")
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            done, _ = await asyncio.wait({task, lost}, timeout=limit or self.timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if task in done:
            try:
                return task.result()
            except (aioimaplib.AioImapException, OSError, TimeoutError) as exc:
                raise ImapUnavailable(f"{what} on {self.config.name!r} failed: {exc!r}") from exc
        task.cancel()
        if lost in done:
            raise ImapUnavailable(f"connection to {self.config.name!r} lost during {what}")
        raise ImapUnavailable(f"{what} on {self.config.name!r} timed out after {limit or self.timeout}s")

    def _ok(self, response: Any, what: str) -> None:
        if response.result != "OK":
            raise ImapUnavailable(f"{what} on {self.config.name!r} answered {response.result}: {_text(response.lines)}")

    @property
    def _client(self) -> aioimaplib.IMAP4:
        if self.client is None:
            raise ImapUnavailable("not connected")
        return self.client

    def take_news(self) -> bool:
        """Whether the server announced new mail (EXISTS) since the last call."""
        protocol = self._client.protocol
        news, protocol.news = getattr(protocol, "news", False), False
        return bool(news)

    async def uids_after(self, last_uid: int) -> list[int]:
        """UIDs > last_uid. `n:*` always includes the highest UID even when it is below n: filtered."""
        response = await self._guard(self._client.uid_search("UID", f"{last_uid + 1}:*", charset=None), "SEARCH")
        self._ok(response, "UID SEARCH")
        return sorted(uid for uid in set(parse_search(response.lines)) if uid > last_uid)

    async def unseen_uids(self) -> list[int]:
        response = await self._guard(self._client.uid_search("UNSEEN", charset=None), "SEARCH")
        self._ok(response, "UID SEARCH UNSEEN")
        return sorted(set(parse_search(response.lines)))

    async def fetch(self, uids: list[int]) -> dict[int, FetchedMail]:
        """`UID FETCH <set> (UID FLAGS BODY.PEEK[])`; a partial answer (NO after some mails) is kept."""
        response = await self._guard(self._client.uid("fetch", uid_set(uids), FETCH_ITEMS), "FETCH")
        mails = {uid: mail for uid, mail in parse_fetch(response.lines).items() if uid in set(uids)}
        if response.result != "OK":
            log.warning("UID FETCH on %r answered %s: %s", self.config.name, response.result,
                        _text(response.lines)[:300])
            for uid in uids:
                mails.setdefault(uid, FetchedMail(uid, problem=f"FETCH answered {response.result}"))
        return mails

    async def mark_processed(self, uids: list[int]) -> None:
        """\\Seen, or MOVE to the processed folder (COPY + \\Deleted + EXPUNGE without MOVE)."""
        if not uids:
            return
        client, target, which = self._client, self.config.processed_folder, uid_set(uids)
        if not target:
            self._ok(await self._guard(client.uid("store", which, "+FLAGS.SILENT", r"(\Seen)"), "STORE"), "STORE")
            return
        if self.supports_move:
            self._ok(await self._guard(client.uid("move", which, _quote(target)), "MOVE"), "MOVE")
            return
        self._ok(await self._guard(client.uid("copy", which, _quote(target)), "COPY"), "COPY")
        self._ok(await self._guard(client.uid("store", which, "+FLAGS.SILENT", r"(\Seen \Deleted)"), "STORE"),
                 "STORE")
        if client.has_capability("UIDPLUS"):  # expunge only ours, not what a person marked deleted
            self._ok(await self._guard(client.uid("expunge", which), "EXPUNGE"), "UID EXPUNGE")
        else:
            self._ok(await self._guard(client.expunge(), "EXPUNGE"), "EXPUNGE")

    async def noop(self) -> None:
        """Keep-alive after a quiet IDLE renewal or poll; a server error report means: reconnect."""
        response = await self._guard(self._client.noop(), "NOOP")
        self._ok(response, "NOOP")
        _raise_on_server_alert(response.lines, self.config.name)

    async def wait_for_news(self, max_wait: float, stop: asyncio.Event) -> bool:
        """IDLE until the server announces new mail (True), or until `max_wait` or `stop` (False).

        The caller re-issues IDLE after every return, so IDLE never outlives `idle_renew`.
        """
        client = self._client
        while not client.protocol.idle_queue.empty():  # stale pushes: the sync before us saw them
            client.protocol.idle_queue.get_nowait()
        idle = await self._guard(client.idle_start(timeout=max_wait), "IDLE")
        news = False
        stopping = asyncio.ensure_future(stop.wait())
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            deadline = asyncio.get_running_loop().time() + max_wait
            while not news:
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                push_task = asyncio.ensure_future(client.wait_server_push(timeout=remaining + 5))
                done, _ = await asyncio.wait({push_task, stopping, lost}, return_when=asyncio.FIRST_COMPLETED)
                if push_task not in done:
                    push_task.cancel()
                    if lost in done:
                        raise ImapUnavailable(f"connection to {self.config.name!r} lost during IDLE")
                    break
                try:
                    push = push_task.result()
                except TimeoutError:
                    break
                if push == aioimaplib.STOP_WAIT_SERVER_PUSH:
                    break
                if isinstance(push, list):
                    _raise_on_server_alert(push, self.config.name)
                news = _has_exists(push)
        finally:
            stopping.cancel()
            lost.cancel()
        if client.has_pending_idle() and not self._lost.is_set():
            client.idle_done()
            await self._guard(asyncio.shield(idle), "DONE")
        return news


def _raise_on_server_alert(lines: list[Any], mailbox: str) -> None:
    """`* BYE` or `* NO` outside a command: the server gave up on our session (e.g. dovecot after the
    selected folder was deleted and recreated, which is how a new UIDVALIDITY shows up live)."""
    for line in lines:
        if isinstance(line, bytes) and (line.startswith(b"BYE") or line.startswith(b"NO ")):
            raise ImapUnavailable(f"server reported on {mailbox!r}: {line.decode(errors='replace')[:200]}")


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uidvalidity(lines: list[Any]) -> int:
    for line in lines:
        if isinstance(line, bytes):
            match = _UIDVALIDITY.search(line)
            if match:
                return int(match.group(1))
    raise ImapUnavailable("SELECT answer has no UIDVALIDITY")


def _text(lines: list[Any]) -> str:
    return " | ".join(bytes(line).decode(errors="replace") for line in lines if isinstance(line, bytes | bytearray))
