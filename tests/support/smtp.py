"""A real SMTP server for tests (aiosmtpd on loopback): records every message, can refuse recipients."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage


@dataclass
class _Refusal:
    reply: str
    times: int | None  # None = always


@dataclass
class RecordingHandler:
    received: list[Received] = field(default_factory=list)
    refusals: dict[str, _Refusal] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)  # RCPT commands per recipient
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        key = address.lower()
        with self.lock:
            self.attempts[key] = self.attempts.get(key, 0) + 1
            refusal = self.refusals.get(key)
            if refusal is not None:
                if refusal.times is not None:
                    refusal.times -= 1
                    if refusal.times <= 0:
                        del self.refusals[key]
                return refusal.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        message = BytesParser(policy=policy.default).parsebytes(data)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), data,
                                          message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingHandler

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]

    def refuse(self, address: str, reply: str, times: int | None = None) -> None:
        """Answer RCPT TO:<address> with `reply` (e.g. "451 4.3.0 try later", "550 5.1.1 no such user"),
        `times` times (then accept), or always."""
        with self.handler.lock:
            self.handler.refusals[address.lower()] = _Refusal(reply, times)

    def attempts(self, address: str) -> int:
        with self.handler.lock:
            return self.handler.attempts.get(address.lower(), 0)


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingHandler()
    port = free_port()
    # Always an explicit hostname: without it aiosmtpd probes the machine's name (aiosmtpd#178, #272).
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    try:
        yield SmtpServer(HOST, port, handler)
    finally:
        controller.stop()
