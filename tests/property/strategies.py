"""Hypothesis strategies shared by the property tests: JSON trees, hostile text, mail addresses, MIME trees."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from typing import Any

from hypothesis import strategies as st

from normalizer.invisible import BIDI_CONTROLS, ZERO_WIDTH

INVISIBLE = ZERO_WIDTH + BIDI_CONTROLS

# Text with what breaks parsers: Cyrillic, invisible format characters, controls, quotes and markup.
NASTY_CHARS = st.sampled_from([*INVISIBLE, *"\x00\r\n\t<>&\"'=?@;:,()[]\\/-_.*#№+ ", "\ud7ff", "\ufffd"])
CYRILLIC = st.sampled_from("абвгдежзийклмнопрстуфхцчшщъыьэюяЁё")
hostile_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), NASTY_CHARS, CYRILLIC),
    max_size=80,
)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzабвгдеёжзийклмнопрстуфхцчшщэюя", min_size=1, max_size=10)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**63), st.floats(allow_nan=False),
    hostile_text,
)
json_trees: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=4),
                               st.dictionaries(st.one_of(hostile_text, st.sampled_from(
                                   ["text", "id", "type", "message", "from", "chat", "url", "width", "height",
                                    "photo", "document", "file_id", "sizes", "title", "payload", "attachments"])),
                                   children, max_size=5)),
    max_leaves=20,
)


def sometimes(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """The strategy's values, or any JSON value in their place (a field of the wrong type)."""
    return st.one_of(strategy, strategy, strategy, json_trees)


local_parts = st.from_regex(r"\A[a-z0-9]{1,10}(\.[a-z0-9]{1,6})?\Z")
domains = st.from_regex(r"\A[a-z][a-z0-9]{0,9}\.(ru|com|org|xn--p1ai)\Z")
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains)

# Display names: letters, spaces and a little punctuation, never an address of their own.
display_names = st.builds(lambda first, rest: first + rest, st.sampled_from("abcxyzАБВабвгЁё"),
                          st.text(alphabet="abcxyzАБВабвгЁё .'-", max_size=29))

TEXT_TYPES = ("plain", "html")
CHARSETS = ("utf-8", "koi8-r", "cp1251", "us-ascii", "iso-8859-1", "x-unknown", "UT\x00F-8", "win-1251")
HEADER_NAMES = ("Subject", "From", "Reply-To", "Message-ID", "In-Reply-To", "References", "Content-Type",
                "Content-Disposition", "Content-Transfer-Encoding", "Auto-Submitted", "Precedence", "X-Whatever")


@st.composite
def leaf_parts(draw: st.DrawFn) -> EmailMessage:
    """A leaf: a text part in some charset, or an attachment with a hostile file name."""
    part = EmailMessage()
    kind = draw(st.sampled_from(["text", "text", "attachment", "raw"]))
    if kind == "text":
        text = draw(hostile_text.filter(lambda s: "\x00" not in s and "\r" not in s))
        subtype = draw(st.sampled_from(TEXT_TYPES))
        charset = draw(st.sampled_from(("utf-8", "koi8-r", "cp1251")))
        try:
            text.encode(charset)
        except UnicodeEncodeError:
            charset = "utf-8"
        part.set_content(text, subtype=subtype, charset=charset,
                         cte=draw(st.sampled_from(["base64", "quoted-printable", "8bit"])))
    elif kind == "attachment":
        data = draw(st.binary(max_size=200))
        name = " ".join(draw(hostile_text).replace("\x00", "").splitlines())
        part.set_content(data, maintype="application", subtype=draw(st.sampled_from(["pdf", "octet-stream"])),
                         filename=name or None)
    else:
        # Headers and a body as a broken mailer writes them: declared charsets that lie, any bytes.
        charset = draw(st.sampled_from(CHARSETS))
        part["Content-Type"] = f"text/{draw(st.sampled_from(TEXT_TYPES))}; charset=\"{charset}\""
        encoding = draw(st.sampled_from(["base64", "8bit", "quoted-printable", "x-bogus"]))
        part["Content-Transfer-Encoding"] = encoding
        body = draw(st.binary(max_size=200))
        payload = base64.b64encode(body).decode() if encoding == "base64" else body.decode("latin-1")
        part.set_payload(payload.replace("\x00", ""))
    return part


def _multipart(children: list[EmailMessage], subtype: str) -> EmailMessage:
    container = EmailMessage()
    container.make_mixed()
    if subtype != "mixed":
        container.replace_header("Content-Type", f"multipart/{subtype}")
    for child in children:
        container.attach(child)
    return container


def _rfc822(inner: EmailMessage) -> EmailMessage:
    wrapper = EmailMessage()
    if "Subject" not in inner:
        inner["Subject"] = "forwarded"
    wrapper.set_content(inner)
    return wrapper


mime_trees: st.SearchStrategy[EmailMessage] = st.recursive(
    leaf_parts(),
    lambda children: st.one_of(
        st.builds(_multipart, st.lists(children, min_size=1, max_size=4),
                  st.sampled_from(["mixed", "alternative", "related", "report"])),
        st.builds(_rfc822, children),
    ),
    max_leaves=6,
)


@st.composite
def mails(draw: st.DrawFn) -> tuple[EmailMessage, str, str]:
    """A whole mail: a MIME tree with top-level headers; also the sender address and display name used."""
    msg = draw(mime_trees)
    address, name = draw(addresses), draw(display_names)
    for header, value in (("From", f"{name} <{address}>"), ("To", "claims@claims.example.ru"),
                          ("Subject", draw(hostile_text.filter(lambda s: "\x00" not in s and "\r" not in s
                                                             and "\n" not in s))),
                          ("Message-ID", f"<{draw(local_parts)}@{draw(domains)}>")):
        try:
            msg[header] = value
        except Exception:  # a value the stdlib refuses (or trips over): leave the header out
            pass
    for header in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=3)):
        value = draw(hostile_text.filter(lambda s: "\x00" not in s and "\n" not in s and "\r" not in s))
        try:
            msg[f"X-Extra-{header}" if header in ("Content-Type", "From") else header] = value
        except Exception:
            pass
    return msg, address, name.strip()
