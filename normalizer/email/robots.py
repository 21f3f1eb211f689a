"""Mail written by a machine (RFC 3834): never a new ticket, never answered.

The kind says why: "bounce" (a DSN, or a mailer daemon reporting a failed delivery), "receipt"
(a read receipt), "mailer_daemon", "auto_reply" (Auto-Submitted: auto-replied, X-Autoreply, an
out-of-office subject), "auto_generated" (other Auto-Submitted values), "list", "bulk",
"null_sender" (empty envelope sender, Return-Path: <>).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email.message import Message

from normalizer.email.headers import raw_headers

ROBOT_LOCAL_PARTS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|not delivered|delivery (?:status notification|failure|has failed)|returned mail|mail delivery failed"
    r"|failure notice|не доставлен|недоставлен|ошибка доставки|возвращенное|возвращённое",
    re.I,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:автоответ|автоматический ответ|автоответчик|automatic reply|auto(?:matic)?[- ]?reply|autoreply"
    r"|auto|out of (?:the )?office|нет на месте|вне офиса|отсутствую)\s*:",
    re.I,
)
_ORIGINAL_ID_IN_TEXT = re.compile(r"^\s*Message-ID:\s*(<[!-;=?-~]{1,250}>)", re.I | re.M)


def _first(headers: Mapping[str, list[str]], name: str) -> str | None:
    values = headers.get(name)
    return values[0].strip() if values else None


def robot_kind(msg: Message, sender: str | None, subject: str | None, report_type: str | None) -> str | None:
    local_part = (sender or "").partition("@")[0]
    if report_type == "delivery-status":
        return "bounce"
    if report_type == "disposition-notification":
        return "receipt"
    if local_part in ROBOT_LOCAL_PARTS:
        return "bounce" if subject and _BOUNCE_SUBJECT.search(subject) else "mailer_daemon"
    headers = raw_headers(msg)  # read once: a mail that is no robot is asked for seven of them
    auto_submitted = (_first(headers, "auto-submitted") or "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return "auto_reply" if auto_submitted == "auto-replied" else "auto_generated"
    if any(headers.get(h) for h in ("x-autoreply", "x-autorespond", "x-auto-response-suppress")):
        return "auto_reply"
    if subject and _AUTO_REPLY_SUBJECT.match(subject):
        return "auto_reply"
    precedence = (_first(headers, "precedence") or "").lower()
    if precedence == "list" or headers.get("list-id"):
        return "list"
    if precedence in ("bulk", "junk"):
        return "bulk"
    return_path = _first(headers, "return-path")
    if return_path is not None and return_path.strip("<> \t") == "":
        return "null_sender"
    return None


def bounced_ids_in_text(text: str) -> list[str]:
    """Message-IDs quoted in the text of a bounce that is not a structured DSN."""
    return list(dict.fromkeys(_ORIGINAL_ID_IN_TEXT.findall(text)))
