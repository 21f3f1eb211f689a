"""The normaliser's fast paths give what the plain ways gave (issue 12): the single-part parse against the
stdlib parser, the language counts against str.isalpha, the cleanup against the per-line version."""

from __future__ import annotations

import random
import re
import unicodedata
from email.message import Message
from pathlib import Path

from normalizer.cleanup import _CONTROL, _SPACES, clean_text
from normalizer.email.headers import raw_header
from normalizer.email.parse import _PARSER, _parse_single_part, _parse_without_feedparser
from normalizer.language import letters_and_cyrillic

CORPUS = Path(__file__).parents[1] / "data" / "email"
PIECES = [b"From: a@b\n", b"Subject: x\n", b" cont\n", b"\n", b"\r\n", b"\r", b"body (\n", b"From x\n", b"bad line\n",
          b"\x85\n", b"X:\x0cy\n", b"Content-Type: multipart/mixed; boundary=z\n", b"Content-Type: message/rfc822\n",
          b"Content-Type: message/delivery-status\n", b"--z\n", b":\n", b"\t\n", b"\xd0\xb9: v\n", b"To: b@c\r\n"]


def _same(fast: Message, full: Message) -> bool:
    return (fast.items() == full.items() and fast.get_payload() == full.get_payload()
            and [type(d) for d in fast.defects] == [type(d) for d in full.defects]
            and fast.get_unixfrom() == full.get_unixfrom() and fast.is_multipart() == full.is_multipart())


def test_single_part_parse_is_the_stdlib_parse() -> None:
    rng = random.Random(3)
    mails = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    mails += [mail.replace(b"\n", b"\r\n") for mail in mails]
    mails += [b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    taken = 0
    for data in mails:
        fast = _parse_single_part(data)
        if fast is not None:
            taken += 1
            assert _same(fast, _PARSER.parsebytes(data)), data[:300]
    assert taken > 100


def test_multipart_and_odd_header_blocks_take_the_full_parse() -> None:
    assert _parse_single_part(b"Content-Type: multipart/mixed; boundary=z\n\n--z\n\nx\n--z--\n") is None
    assert _parse_single_part(b"Subject: x\nnot a header\n\nbody") is None
    assert _parse_single_part(b"Subject: x\rTo: y\n\nbody") is None
    assert _parse_single_part(b"Subject: x\nFrom someone\n\nbody") is None
    assert _parse_single_part(b"Subject: x\nno empty line") is None


def _same_tree(fast: Message, full: Message, path: str = "root") -> None:
    """Every attribute of every part, recursively: headers, payloads, preamble, epilogue, defects."""
    assert type(fast) is type(full), path
    mine, theirs = dict(vars(fast)), dict(vars(full))
    payload, their_payload = mine.pop("_payload"), theirs.pop("_payload")
    assert [type(d) for d in mine.pop("defects")] == [type(d) for d in theirs.pop("defects")], path
    assert mine == theirs, path
    if isinstance(payload, list):
        assert isinstance(their_payload, list) and len(payload) == len(their_payload), path
        for i, (a, b) in enumerate(zip(payload, their_payload, strict=True)):
            _same_tree(a, b, f"{path}/{i}")
    else:
        assert payload == their_payload, path


MULTIPART_PIECES = [b"--x\t \r\n", b"--x-- \t", b"--x--  \n", b"--x-- y\n", b"--x--\r\n", b"--xx\n", b"---x\n",
                    b"--x---\n", b"--x\r", b"\n", b"\r\n", b"\r", b"--", b" ", b"\t", b"From x\n", b"bad line\n",
                    b":\n", b"X: y\n", b"\x0c", b"\x85", b"\x00", b"--x\n", b"--x--\n", b"--x \n", b" cont\n",
                    b"Content-Type: multipart/mixed; boundary=x\n", b"Content-Type: message/rfc822\n",
                    b"Content-Type: text/plain\n", b"Content-Transfer-Encoding: base64\n",
                    b"Content-Type: multipart/digest; boundary=x\n", b"body\n",
                    "Текст\n".encode()]


def test_flat_multipart_parse_is_the_stdlib_parse() -> None:
    """A multipart mail of leaf parts is split without the feed parser: the same tree as the stdlib's, or
    None (the full parse) for anything else; checked on the corpus and on many broken variants of it."""
    rng = random.Random(5)
    mails = [path.read_bytes() for path in sorted(CORPUS.glob("*.eml"))]
    mails += [mail.replace(b"\n", b"\r\n") for mail in mails]
    multipart = [mail for mail in mails if b"multipart" in mail.lower()]
    for _ in range(4000):  # the corpus's multipart mails with lines dropped, repeated or inserted
        lines = rng.choice(multipart).splitlines(keepends=True)
        for _ in range(rng.randint(1, 4)):
            at = rng.randrange(len(lines) + 1)
            roll = rng.random()
            if roll < 0.3 and lines:
                del lines[min(at, len(lines) - 1)]
            elif roll < 0.5 and lines:
                lines.insert(at, rng.choice(lines))
            else:
                lines.insert(at, rng.choice(MULTIPART_PIECES))
        mails.append(b"".join(lines))
    for _ in range(6000):  # small synthetic ones
        head = [b"Content-Type: multipart/mixed; boundary=x\n", *rng.choices(MULTIPART_PIECES, k=rng.randint(0, 2)),
                b"\n"]
        mails.append(b"".join(head + rng.choices(MULTIPART_PIECES + [b"--x\n"] * 4, k=rng.randint(1, 14))))
    taken = 0
    for data in mails:
        fast = _parse_without_feedparser(data)
        if fast is not None and fast.is_multipart():
            taken += 1
            _same_tree(fast, _PARSER.parsebytes(data))
    assert taken > 300


def test_letter_counts_are_isalpha_counts() -> None:
    rng = random.Random(1)
    wide = [chr(c) for c in [*range(0x600), *range(0x2000, 0x2200), 0x1C80, 0xD800, 0xDC80, 0x1F600, 0x4E00]]
    russian = list("абвгдеёжзий АБВГ xyz XYZ 0123,.!\n\t«»—–№\u00a0ґЄ\u0400\u0482")
    not_cyrillic = re.compile(r"[^\u0400-\u04ff]+")
    for i in range(6000):
        alphabet = wide if i % 2 else russian
        sample = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 5, 60, 400])))
        assert letters_and_cyrillic(sample) == (sum(map(str.isalpha, sample)), len(not_cyrillic.sub("", sample)))


def _clean_per_line(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def test_cleanup_is_the_per_line_cleanup() -> None:
    rng = random.Random(5)
    alphabet = [*"аб cd\n\r\t\u00a0\u2003\x00\x0b\x1f\x7fé\u0301 ", "  ", "\n\n\n", "\r\n"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice([0, 1, 3, 10, 60])))
        assert clean_text(text, None) == _clean_per_line(text), repr(text)


def test_raw_headers_follow_changes_to_the_message() -> None:
    msg = _PARSER.parsebytes(b"Subject: a\nX-A: 1\nx-a: 2\n\nbody")
    assert raw_header(msg, "x-A") == ["1", "2"]
    msg.replace_header("Subject", "b")
    del msg["x-a"]
    assert raw_header(msg, "subject") == ["b"] and raw_header(msg, "X-A") == []
