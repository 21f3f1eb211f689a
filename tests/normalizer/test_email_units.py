"""The email normalizer's modules one by one: charsets, headers, quotes, HTML, robots, addresses, threading."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from channels.base import BadSubmission, Channel, RawSubmission
from channels.email.config import EmailLimits
from normalizer.config import NormalizerConfig
from normalizer.draft import Draft
from normalizer.email.addresses import parse_mailbox
from normalizer.email.charset import codec_for, decode_bytes, fix_surrogates
from normalizer.email.fax import is_fax_gateway
from normalizer.email.headers import decode_header_text
from normalizer.email.html import HTML_CUT_MARKER, MAX_HTML_CHARS, MAX_HTML_TAGS, MAX_QUOTE_DEPTH, html_to_text
from normalizer.email.parse import header_block_size, parse_mail
from normalizer.email.quotes import split_reply, strip_quotes
from normalizer.email.robots import robot_kind
from normalizer.email.step import email_message
from normalizer.email.threading import message_ids, own_message_id, referenced_ids, references_chain
from normalizer.pipeline import normalize
from normalizer.structured import structured_fields

RUSSIAN = "Уже третий день нет интернета, прошу сделать перерасчёт абонентской платы."


def message(head: str, body: str = "text\n") -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(f"{head.strip()}\n\n{body}".encode())
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- charset ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("label,codec", [("windows-1251", "cp1251"), ("win-1251", "cp1251"), ("CP1251", "cp1251"),
                                         ("x-cp1251", "cp1251"), ("koi8-r", "koi8-r"), ("KOI8R", "koi8-r"),
                                         ("koi8-u", "koi8-u"), ("utf8", "utf-8"), ("x-unknown", None), (None, None)])
def test_codec_labels(label: str | None, codec: str | None) -> None:
    assert codec_for(label) == codec


@pytest.mark.parametrize("really", ["cp1251", "koi8-r", "utf-8"])
@pytest.mark.parametrize("declared", [None, "us-ascii", "koi8-r", "windows-1251", "win-1251", "x-unknown"])
def test_russian_text_is_read_whatever_the_label(really: str, declared: str | None) -> None:
    assert decode_bytes(RUSSIAN.encode(really), declared) == RUSSIAN


def test_a_declared_non_cyrillic_charset_is_believed() -> None:
    assert decode_bytes("café".encode("latin-1"), "iso-8859-1") == "café"


@pytest.mark.parametrize("declared", ["utf-8", None, "windows-1251"])
@pytest.mark.parametrize(("damage", "marks"), [(b"\xff", 1), ("ё".encode()[:1], 1), (b"\x80\x80", 2)],
                         ids=["stray", "cut", "continuations"])
def test_utf8_with_a_few_damaged_bytes_stays_utf8(declared: str | None, damage: bytes, marks: int) -> None:
    data = RUSSIAN.encode() + damage + b" " + RUSSIAN.encode()
    assert decode_bytes(data, declared) == f"{RUSSIAN}{chr(0xFFFD) * marks} {RUSSIAN}"  # not all read as cp1251


def test_single_byte_text_with_bytes_that_look_like_utf8_is_not_utf8() -> None:
    # cp1251 text in which one pair of letters happens to form a UTF-8 sequence ("Рѕ" is d0 be, "о" in UTF-8).
    data = RUSSIAN.encode("cp1251") + "Рѕ".encode("cp1251")
    assert decode_bytes(data, None) == RUSSIAN + "Рѕ"


def test_undecodable_bytes_never_raise() -> None:
    assert isinstance(decode_bytes(bytes(range(128, 256)), "utf-8"), str)


def test_surrogate_escapes_from_raw_headers_become_letters() -> None:
    raw = "Тема".encode("cp1251").decode("ascii", "surrogateescape")
    assert fix_surrogates(f"Re: {raw}") == "Re: Тема"


# --- headers -------------------------------------------------------------------------------------------


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    data = "Проблема".encode()
    import base64

    value = f"=?utf-8?B?{base64.b64encode(data[:3]).decode()}?= =?utf-8?B?{base64.b64encode(data[3:]).decode()}?="
    assert decode_header_text(value) == "Проблема"


def test_q_words_unknown_labels_and_plain_text_mix() -> None:
    assert decode_header_text("Re: =?koi8-r?Q?=F0=D2=C9=D7=C5=D4?= world") == "Re: Привет world"
    assert decode_header_text("=?win-1251?B?z/Dl8u7n6Oo=?=") == "Претензия"[:0] + decode_bytes(
        bytes.fromhex("cff0e5f2eee7e8ea"), "cp1251")
    assert decode_header_text("plain\r\n subject") == "plain subject"


# --- size caps -------------------------------------------------------------------------------------------


def test_header_block_is_measured_before_parsing() -> None:
    assert header_block_size(b"A: b\r\n\r\nbody", 100) == 4
    assert header_block_size(b"A: b\n\nbody", 100) == 4
    assert header_block_size(b"A: " + b"x" * 500, 100) == 101


@pytest.mark.parametrize("data,reason", [(b"", "empty mail"), (b"x" * 2000, "message size cap"),
                                         (b"A: " + b"x" * 600 + b"\n\nbody", "header size cap"),
                                         (b"\x89PNG\r\n\x1a\n", "no header fields")])
def test_unusable_mail_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    limits = EmailLimits(max_message_bytes=1000, max_header_bytes=500)
    with pytest.raises(BadSubmission, match=reason):
        parse_mail(data, limits)


# --- quotes and signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [
    "-----Original Message-----\nFrom: a\nSent: b\n\nold",
    "-----Исходное сообщение-----\nОт: a\nОтправлено: b\nКому: c\nТема: d\n\nold",
    "От: Служба [mailto:claims@claims.example.ru]\nОтправлено: 23 ноября 2026 г. 10:00\nКому: Иван\nТема: x\n\nold",
    "From: Claims <c@x.ru>\nSent: Monday\nTo: Ivan\nSubject: x\n\nold",
    "23.11.2026 10:00, Служба пишет:\nold unmarked quote",
    "пн, 23 нояб. 2026 г. в 10:00, Служба <claims@claims.example.ru>:\n\n> old\n> old",
    "On Mon, Nov 23, 2026 at 10:00 AM Claims <\nclaims@claims.example.ru> wrote:\n\n> old",
    "On 23 Nov 2026, at 10:00, Claims <c@x.ru> wrote:\n> old",
    "Понедельник, 23 ноября 2026, 10:00 +03:00 от Служба <c@x.ru>:\n> old",
    "-- \nИван Петров\nold",
    "Отправлено с iPhone",
    "Sent from my iPhone",
])
def test_quoted_history_and_signatures_are_stripped(quoted: str) -> None:
    assert strip_quotes(f"Новый текст.\n\n{quoted}\n") == "Новый текст."


def test_a_forwarded_message_is_kept_and_a_signature_before_it_dropped() -> None:
    text = "Смотрите ниже.\n-- \nИван\n\n---------- Forwarded message ---------\nFrom: Анна\n\n> жалоба\nСуть."
    reply = split_reply(text)
    assert "Forwarded message" in reply.text and "Суть." in reply.text and "> жалоба" in reply.text
    assert "Иван" not in reply.text and reply.signature == "Иван"


def test_a_complaint_line_ending_with_a_colon_is_not_an_attribution() -> None:
    text = "Мой сосед говорит:\nу него тоже нет интернета."
    assert strip_quotes(text) == text


# --- HTML ---------------------------------------------------------------------------------------------------


def test_html_to_text_drops_markup_and_quotes_blockquotes() -> None:
    html = ("<html><head><title>t</title><style>p{}</style></head><body><script>evil()</script>"
            "<p>Один &amp; два&nbsp;три</p><ul><li>пункт</li></ul><blockquote>цитата<br>ещё</blockquote>"
            "<pre>a\n  b</pre></body></html>")
    text = html_to_text(html)
    assert "evil" not in text and "p{}" not in text and "<" not in text
    assert "Один & два\xa0три" in text and "- пункт" in text
    assert "> цитата\n> ещё" in text and "a\n  b" in text


def test_a_head_loses_what_it_holds_and_stray_text_in_it_is_shown_as_a_browser_shows_it() -> None:
    html = ("<html><head><meta name='description' content='СЕКРЕТ'><title>СЕКРЕТ</title><style>p {color: red}</style>"
            "<script>СЕКРЕТ()</script><noscript>СЕКРЕТ</noscript></head><body><p>Текст письма</p></body></html>")
    assert html_to_text(html) == "Текст письма"
    # Text directly in a head is moved to the body by every HTML parser a mail client uses: the client saw it.
    assert html_to_text("<html><head>Видимый текст</head><body><p>и письмо</p></body></html>") == \
        "Видимый текст\nи письмо"


@pytest.mark.parametrize("unit", ["<a ", "<!--", "<a b='", "</", "<?"])
def test_malformed_markup_of_megabytes_is_read_once(unit: str) -> None:
    """The stdlib HTML parser alone rescans an unterminated tag or comment to the end of the input at every one
    (CVE-2025-6069): 2 MB of "<a " would take hours. Only the head of the markup is read, the cut marked."""
    text = html_to_text("<p>Жалоба на связь</p>" + unit * (2_000_000 // len(unit)))
    assert text == "Жалоба на связь" + HTML_CUT_MARKER


def test_markup_past_the_cap_is_cut_at_a_tag_and_the_cut_is_marked() -> None:
    html = "<p>" + "слово " * (MAX_HTML_CHARS // 6) + "</p><p>хвост</p>"
    text = html_to_text(html)
    assert text.endswith("слово" + HTML_CUT_MARKER) and "хвост" not in text and "<" not in text
    assert html_to_text("<p>короткое</p>") == "короткое"


def test_markup_past_the_tag_cap_is_cut_before_a_tag_and_the_cut_is_marked() -> None:
    """html5ever's cost grows with the square of the depth, and the depth with the tags: 32,000 unclosed <ul> in
    128 KB took 1.4 s of the normalize worker per mail. Only the first MAX_HTML_TAGS tags are read."""
    lines = [f"строка {i}" for i in range(MAX_HTML_TAGS + 1)]
    # A tag a line, well under 128 KB: the cut comes before the tag past the cap, after the text before it.
    text = html_to_text("".join(f"{line}<br>" for line in lines) + "хвост")
    assert text == "\n".join(lines) + HTML_CUT_MARKER
    within = "".join(f"{line}<br>" for line in lines[:-1]) + "хвост"  # exactly the cap: all of it
    assert html_to_text(within) == "\n".join([*lines[:-1], "хвост"])
    assert html_to_text("<ul>" * 30_000 + "текст") == HTML_CUT_MARKER.strip()


def test_nesting_within_the_cap_neither_hangs_nor_multiplies_the_text() -> None:
    """20,000 nested blockquotes each with a line made every line carry its whole depth of "> ": 100 MB."""
    text = html_to_text("<blockquote>x" * 20_000)
    assert text.splitlines()[-3] == "> " * MAX_QUOTE_DEPTH + "x" and text.endswith(HTML_CUT_MARKER)
    assert len(text) < 2 * 20_000 * (2 * MAX_QUOTE_DEPTH + 2)
    assert html_to_text("<ul>" * 100_000 + "текст") == HTML_CUT_MARKER.strip()


# --- robots ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("head,kind", [
    ("Auto-Submitted: auto-replied", "auto_reply"),
    ("Auto-Submitted: auto-generated", "auto_generated"),
    ("Auto-Submitted: no", None),
    ("X-Autoreply: yes", "auto_reply"),
    ("X-Auto-Response-Suppress: All", "auto_reply"),
    ("Precedence: bulk", "bulk"),
    ("Precedence: junk", "bulk"),
    ("Precedence: list", "list"),
    ("List-Id: <users.example.org>", "list"),
    ("Return-Path: <>", "null_sender"),
    ("Return-Path: <ivan@example.com>", None),
    ("Subject: Автоответ: Re: обращение", "auto_reply"),
    ("Subject: Автоответчик сломан", None),
])
def test_robot_headers(head: str, kind: str | None) -> None:
    msg = message(f"From: ivan@example.com\n{head}")
    subject = msg["subject"] and str(msg["subject"])
    assert robot_kind(msg, "ivan@example.com", subject, None) == kind


def test_mailer_daemons_and_reports() -> None:
    msg = message("From: MAILER-DAEMON@mx.example.com")
    assert robot_kind(msg, "mailer-daemon@mx.example.com", "Undelivered Mail Returned to Sender", None) == "bounce"
    assert robot_kind(msg, "mailer-daemon@mx.example.com", "Quota warning", None) == "mailer_daemon"
    assert robot_kind(msg, "ivan@example.com", None, "delivery-status") == "bounce"
    assert robot_kind(msg, "ivan@example.com", None, "disposition-notification") == "receipt"


# --- addresses --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value,address,name", [
    ("Иван Петров <IVAN@Example.com>", "ivan@example.com", "Иван Петров"),
    ('"Petrov, Ivan" <ivan@example.com>', "ivan@example.com", "Petrov, Ivan"),
    ("Ivan P. Petrov <ivan@example.com>", "ivan@example.com", "Ivan P. Petrov"),
    ("ivan@example.com (Ivan)", "ivan@example.com", None),
    ('"ivan@example.com" <ivan@example.com>', "ivan@example.com", "ivan@example.com"),
    ("=?utf-8?B?0JjQstCw0L0=?= <ivan@example.com>", "ivan@example.com", "Иван"),
    ("Ivan <ivan@почта.рф>", "ivan@почта.рф", "Ivan"),
])
def test_unambiguous_addresses(value: str, address: str, name: str | None) -> None:
    mailbox = parse_mailbox(value)
    assert (mailbox.address, mailbox.display_name, mailbox.problem) == (address, name, None)


@pytest.mark.parametrize("value", [
    '"a@evil.example" <b@good.example>',
    "a@x.ru, b@y.ru",
    "alice@example.org)<bob@example.org>",
    '"Ivan <ivan@example.com>',
    "Ivan <ivan@example.com",
    "Ivan <ivan@example.com> <other@example.com>",
    "undisclosed-recipients:;",
    "<>",
    '"quoted local"@example.com',
    "=?utf-8?Q?boss=40claims.example.ru?= <attacker@evil.example>",
    "ivan@localhost",
])
def test_ambiguous_addresses_are_refused(value: str) -> None:
    mailbox = parse_mailbox(value)
    assert mailbox.address is None and mailbox.problem


@pytest.mark.parametrize("value", [
    "Иван Петров <IVAN@Example.com>",
    "Ivan P. Petrov <ivan@example.com>",
    "=?utf-8?B?0JjQstCw0L0=?= <ivan@example.com>",
    "=?koi8-r?B?6dfBzg==?= <ivan@example.com>",
    "<ivan@example.com>",
    "ivan@example.com",
    "Ivan <ivan@почта.рф>",
    "=?utf-8?Q?boss=40claims.example.ru?= <attacker@evil.example>",
    "Ivan <ivan@localhost>",
    "Ivan <<ivan@example.com>>",
])
def test_plain_forms_read_directly_agree_with_the_full_parse(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from normalizer.email import addresses

    direct = parse_mailbox(value)
    monkeypatch.setattr(addresses, "_simple_mailbox", lambda _value: None)
    full = parse_mailbox(value)
    assert (direct.address, direct.display_name) == (full.address, full.display_name)
    assert (direct.problem is None) == (full.problem is None)


# --- threading ---------------------------------------------------------------------------------------------------


def test_message_ids_keep_brackets_and_drop_unsafe_text() -> None:
    assert message_ids("<a@b> <c@d>\r\n <a@b> <x y@z> <@>") == ["<a@b>", "<c@d>", "<@>"]
    msg = message("Message-ID: bare@host.example\nIn-Reply-To: <p@h>\nReferences: <r@h> <p@h>")
    assert own_message_id(msg) == "<bare@host.example>"
    assert referenced_ids(msg) == ["<p@h>", "<r@h>"]
    assert references_chain(msg, "<bare@host.example>") == ["<r@h>", "<p@h>", "<bare@host.example>"]


def test_a_long_references_chain_keeps_its_root_and_the_latest() -> None:
    refs = " ".join(f"<{i}@h>" for i in range(100))
    ids = referenced_ids(message(f"References: {refs}"))
    assert len(ids) == 30 and ids[0] == "<0@h>" and ids[-1] == "<99@h>"


# --- fax and the step ---------------------------------------------------------------------------------------------


def test_fax_gateways_by_address_or_domain() -> None:
    senders = NormalizerConfig.from_options(fax_senders=["Fax@Gateway.example.ru", "@faxes.example.ru"]).fax_senders
    assert is_fax_gateway("fax@gateway.example.ru", senders) and is_fax_gateway("any@faxes.example.ru", senders)
    assert not is_fax_gateway("ivan@example.com", senders) and not is_fax_gateway(None, senders)


def test_the_step_leaves_other_channels_alone() -> None:
    from datetime import UTC, datetime

    raw = RawSubmission(submission_id="6f1c5a52-8a0e-4c8e-9a57-3b1d1c0de001", channel=Channel.WEB, native_id="w1",
                        received_at=datetime.now(UTC), payload={"text": "x"})
    # The step has no channel guard any more: the pipeline calls it for email only (on this payload,
    # without a blob_key, it would raise).
    event = normalize(raw, config=NormalizerConfig(),
                      channel_steps={Channel.EMAIL: email_message, Channel.WEB: structured_fields})
    assert event.text == "x" and event.subject is None


def test_an_email_without_a_blob_store_is_refused() -> None:
    from datetime import UTC, datetime

    raw = RawSubmission(submission_id="6f1c5a52-8a0e-4c8e-9a57-3b1d1c0de001", channel=Channel.EMAIL, native_id="m:1:1",
                        received_at=datetime.now(UTC), payload={"blob_key": "sha256:" + "0" * 64})
    with pytest.raises(BadSubmission, match="no blob store"):
        email_message(Draft(raw=raw))
