"""Properties of the e-mail normaliser (normalizer/email/*): the mail parse and MIME walk, charsets, headers,
addresses, quotes, HTML, threading and attachment names.

The documented rejection of a mail is BadSubmission (quarantined with the reason); every other exception is a
bug that retries and then shunts the mail. An accepted mail's event always validates as ComplaintEvent.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr
from pathlib import Path

from hypothesis import example, given, reject, settings
from hypothesis import strategies as st

from channels.base import BadSubmission, Channel
from channels.blobs import MemoryBlobStore
from channels.email.config import EmailLimits
from channels.email.submission import mail_native_id, store_mail
from normalizer.cleanup import MAX_TEXT_CHARS
from normalizer.config import NormalizerConfig
from normalizer.email import email_message
from normalizer.email.addresses import parse_mailbox
from normalizer.email.attachments import MAX_NAME_CHARS, attachment_name
from normalizer.email.charset import codec_for, decode_bytes, fix_surrogates
from normalizer.email.headers import decode_header_text
from normalizer.email.html import html_to_text
from normalizer.email.mime import walk_mail
from normalizer.email.parse import parse_mail
from normalizer.email.partinfo import PartInfo
from normalizer.email.quotes import split_reply, unquote
from normalizer.email.threading import MAX_REFERENCES, message_ids, referenced_ids, references_chain
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from tests.property.strategies import INVISIBLE, addresses, display_names, hostile_text, local_parts, mails, words

LIMITS = EmailLimits(max_message_bytes=1_000_000, max_header_bytes=16_384, max_part_bytes=100_000, max_parts=25)
CONFIG = NormalizerConfig(email_limits=LIMITS)
RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
MESSAGE_ID = re.compile(r"<[!-;=?-~]{1,250}>")


def normalise(data: bytes) -> ComplaintEvent | None:
    """The event of a raw mail through the real email step and common steps; None when refused."""
    blobs = MemoryBlobStore()
    raw = store_mail(blobs, data, native_id=mail_native_id("prop", 1, 1), received_at=RECEIVED)
    try:
        return normalize(raw, config=CONFIG, channel_steps={Channel.EMAIL: email_message}, blobs=blobs)
    except BadSubmission:
        return None


def as_bytes(msg: EmailMessage) -> bytes:
    try:
        return msg.as_bytes()
    except (ValueError, TypeError, UnicodeError, LookupError):
        reject()  # a tree the stdlib generator cannot write is not an input a mailer sends


def check_event(event: ComplaintEvent) -> None:
    assert ComplaintEvent.model_validate_json(event.model_dump_json()) == event
    assert event.text and len(event.text) <= MAX_TEXT_CHARS
    for _kind, value in event.identities.pairs():
        assert not set(INVISIBLE) & set(value), value


@given(st.binary(max_size=3000))
def test_arbitrary_bytes_are_an_event_or_bad_submission(data: bytes) -> None:
    event = normalise(data)
    if event is not None:
        check_event(event)


@given(st.binary(max_size=600).map(lambda b: b"From: a@b.ru\r\nSubject: x\r\nContent-Type: multipart/mixed; "
                                           b"boundary=zz\r\n\r\n--zz\r\n" + b))
def test_mangled_multipart_is_an_event_or_bad_submission(data: bytes) -> None:
    event = normalise(data)
    if event is not None:
        check_event(event)


@settings(max_examples=80)
@given(mails())
def test_generated_mime_tree_normalises_with_its_sender(mail: tuple[EmailMessage, str, str]) -> None:
    msg, address, _name = mail
    event = normalise(as_bytes(msg))
    if event is None:
        return  # over a cap (parts, nesting): refused with the reason
    check_event(event)
    if not event.auto_generated and event.category != "fax":
        assert address in event.identities.emails  # the one unambiguous From address is always read


@settings(max_examples=80)
@given(mails())
def test_walk_counts_every_leaf_once(mail: tuple[EmailMessage, str, str]) -> None:
    msg, _, _ = mail
    try:
        parts = walk_mail(parse_mail(as_bytes(msg), LIMITS), LIMITS)
    except BadSubmission:
        return
    assert parts.count >= 1 and len(parts.attachments) <= parts.count
    for attachment in parts.attachments:
        assert attachment.name and len(attachment.name) <= MAX_NAME_CHARS


@given(st.text(max_size=40))
@example("undefined")  # found by this property: Python's codec that refuses every byte
@example("rot13")
def test_codec_for_never_raises_and_names_a_real_codec(label: str) -> None:
    codec = codec_for(label)
    if codec is not None:
        # A text codec Python has: it reads back what it writes (3 bytes of ASCII are not UTF-16: "UTF16" drew that).
        assert "abc".encode(codec).decode(codec) == "abc"


@given(st.binary(max_size=400), st.one_of(st.none(), st.text(max_size=20),
                                          st.sampled_from(["utf-8", "koi8-r", "cp1251", "utf-16", "x-bogus"])))
def test_decode_bytes_never_raises(data: bytes, declared: str | None) -> None:
    text = decode_bytes(data, declared)
    assert isinstance(text, str)
    if data.isascii():
        assert text == data.decode("ascii")


@given(st.text(max_size=200), st.sampled_from([None, "utf-8", "us-ascii", "cp1251", "koi8-r", "windows-1251"]))
def test_utf8_bytes_round_trip_whatever_the_label(text: str, declared: str | None) -> None:
    # Non-ASCII bytes that are valid UTF-8 are read as UTF-8 under any single-byte label or none.
    data = text.encode("utf-8", "surrogatepass")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        reject()
    assert decode_bytes(data, declared) == text


@given(st.text(max_size=80))
def test_fix_surrogates_is_identity_without_escapes(text: str) -> None:
    clean = "".join(c for c in text if not "\udc80" <= c <= "\udcff")
    assert fix_surrogates(clean) == clean
    fixed = fix_surrogates(text)
    assert not re.search("[\udc80-\udcff]", fixed)


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Zl", "Zp"]), min_size=1,
               max_size=60).filter(lambda s: s == s.strip() and "=?" not in s))
def test_rfc2047_subject_round_trips(subject: str) -> None:
    encoded = Header(subject, "utf-8").encode()
    assert decode_header_text(encoded) == subject


@given(hostile_text)
def test_decode_header_text_never_raises(value: str) -> None:
    assert isinstance(decode_header_text(value), str)


@given(addresses, st.one_of(st.none(), display_names))
def test_formatted_mailbox_round_trips(address: str, name: str | None) -> None:
    mailbox = parse_mailbox(formataddr((name, address)) if name else address)
    assert mailbox.address == address.lower()
    if name and name.strip(" .'-"):
        assert mailbox.display_name == name.strip()


@given(st.lists(addresses, min_size=2, max_size=3, unique=True))
def test_two_addresses_are_never_taken_as_one(found: list[str]) -> None:
    for value in (", ".join(found), f"{found[0]} <{found[1]}>", f'"{found[0]}" <{found[1]}>',
                  f"{found[0]})<{found[1]}>"):
        assert parse_mailbox(value).address is None, value


@given(hostile_text)
def test_parse_mailbox_never_raises(value: str) -> None:
    mailbox = parse_mailbox(value)
    assert mailbox.address is None or "@" in mailbox.address


@given(st.text(max_size=400))
def test_reply_keeps_only_lines_of_the_mail(text: str) -> None:
    reply = split_reply(text)
    lines = {line.strip() for line in text.split("\n")}
    for line in reply.text.split("\n"):
        assert line.strip() in lines or not line.strip()
    assert len(reply.text) <= len(text)


@given(st.lists(words, min_size=1, max_size=12))
def test_plain_text_without_markers_is_kept_whole(found: list[str]) -> None:
    text = " ".join(found) + "\n" + " ".join(reversed(found))
    assert split_reply(text).text == text.strip()


@given(st.lists(words, min_size=1, max_size=5), st.lists(words, min_size=1, max_size=5))
def test_quoted_history_is_dropped(new: list[str], old: list[str]) -> None:
    quoted = "\n".join(f"> {w}" for w in old)
    text = f"{' '.join(new)}\n\nOn 01.02.2026 10:00, Ivan <ivan@example.ru> wrote:\n{quoted}\n"
    assert split_reply(text).text == " ".join(new)
    assert unquote(quoted) == "\n".join(old)


@given(st.text(max_size=500))
def test_html_to_text_never_raises(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


@given(st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Zs", "Zl", "Zp"]),
                        min_size=1, max_size=12), min_size=1, max_size=8),
       st.sampled_from(["script", "style", "title", "template", "noscript"]))
def test_html_text_round_trips_and_scripts_vanish(found: list[str], hidden: str) -> None:
    secret = "SECRETMARKER"
    markup = (f"<html><{hidden}>{secret} var x = '<p>{secret}</p>';</{hidden}>"
              f"<body><p>{' '.join(html.escape(w) for w in found)}</p></body></html>")
    text = html_to_text(markup)
    assert secret not in text
    assert text == " ".join(found).strip()


@given(st.lists(st.builds(lambda a, b: f"<{a}@{b}.example>", local_parts, local_parts), max_size=50))
def test_references_round_trip_bounded(ids: list[str]) -> None:
    msg = EmailMessage()
    msg["Message-ID"] = "<own@example.ru>"
    if ids:
        msg["References"] = " ".join(ids)
    unique = list(dict.fromkeys(ids))
    found = referenced_ids(msg)
    assert len(found) <= MAX_REFERENCES
    if len(unique) <= MAX_REFERENCES:
        assert found == unique
    else:
        assert found[0] == unique[0] and found[-1] == unique[-1]
    chain = references_chain(msg, "<own@example.ru>")
    assert len(chain) <= MAX_REFERENCES and chain[-1] == "<own@example.ru>"


@given(hostile_text)
def test_message_ids_are_printable_ascii_in_brackets(value: str) -> None:
    found = message_ids(value)
    assert len(found) == len(set(found))
    for item in found:
        assert MESSAGE_ID.fullmatch(item), item


@given(st.one_of(st.none(), hostile_text, st.text(max_size=400)), st.integers(min_value=0, max_value=200),
       st.sampled_from(["application/pdf", "text/plain", "image/x-unknown", "message/rfc822"]))
def test_attachment_name_is_a_safe_file_name(filename: str | None, index: int, ctype: str) -> None:
    name = attachment_name(PartInfo(ctype, None, "attachment", filename), index)
    assert name and len(name) <= MAX_NAME_CHARS
    assert "/" not in name and "\\" not in name
    assert not re.search(r"[\x00-\x1f\x7f]", name)
    assert not name.startswith(".") and not name.endswith(".")


# Regressions: the inputs the fuzzer (fuzz/mime_normaliser.py) crashed on, reduced to the function that broke.

def test_regression_nul_in_charset_label() -> None:
    assert codec_for("UT\x00\x00F-6") is None  # the crasher's label: codecs.lookup raised ValueError
    assert codec_for("UT\x00F-8") == "utf-8"  # read as the misspelt utf-8 it is
    assert decode_bytes("привет".encode(), "UT\x00\x00F-6") == "привет"


def test_regression_header_registry_errors_are_malformed_addresses() -> None:
    for value in ("x: y:z@a.ru;;", "a@b.ru, :;", ". <a\rb@c.ru>, d", "\"a\" <b@c.ru>, : <d@e.ru>;"):
        assert parse_mailbox(value).address is None, value


def test_regression_embedded_message_with_broken_headers_is_kept() -> None:
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("fuzz", "corpus", "mime").glob("crash_*.eml")):
        event = normalise(path.read_bytes())
        if event is not None:
            check_event(event)
    bounce = (b"From: MAILER-DAEMON@mx.example.ru\r\nSubject: Undelivered\r\nContent-Type: multipart/report; "
              b"report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
              b"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd x: y:z@a.ru;;\r\n"
              b"Subject: \xff\xfe\r\n\r\nbody\r\n--b--\r\n")
    parts = walk_mail(parse_mail(bounce, LIMITS), LIMITS)
    assert any(a.content_type == "message/rfc822" and b"body" in a.data for a in parts.attachments)


# Pieces of markup outside svg and math (where a font's colour decides whether what follows is HTML) and outside
# textarea (whose tag-like text bare_tags rewrites): there the attributes never change what html5ever reads.
_MARKUP_PIECES = st.sampled_from([
    "<p>", "</p>", "<div class='a>b'>", "<b id=1>", '<b id="2">', "</b>", "<i x>", " ", "\n", "<", ">", '"', "'", "=",
    "<!--", "-->", "--!>", "<!-->", "<!", "<?", "</", "</>", "<br/>", '<a href="x?a=1&b=2">', "</a>",
    "<blockquote type=cite>", "</blockquote>", "<table><tr><td a=1>", "</td></tr></table>", "&amp;", "&lt;", "<ul>",
    "<li>", "<style>", "</style>", "<title>", "<script>", "</script>", "<font color=red size=2>", "<pre>", "</pre>",
    "a<b", "x=y", "/", "<P CLASS=X>", "<h1 >", '<img alt="картинка">', "<noscript>", "</noscript>",
])


@given(st.lists(_MARKUP_PIECES | words, max_size=30))
def test_bare_tags_change_nothing_html5ever_reads(pieces: list[str]) -> None:
    from normalizer.email.bare_tags import bare_tags
    from normalizer.email.html import simplified

    markup = "".join(pieces)
    assert simplified(bare_tags(markup)) == simplified(markup)
