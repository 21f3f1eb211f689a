"""Inputs too big to commit, made at test time from the corpus's `*.recipe.json` files (see
tests/data/hostile/README.md): `expand(recipe)` returns the bytes the entry point is fed."""

from __future__ import annotations

import base64
import io
import json
import struct
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable
from typing import Any

from tests.support.scans import FONT_PATH, TEXT_PDF_FONT, bomb_png, corrupt_pdf, many_pages_pdf

COMPLAINT = "Второй день нет интернета, прошу сделать перерасчёт."
MB = 1024 * 1024


def _b64_lines(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def _mail(name: str, head: str, body: str) -> bytes:
    return (f"From: Иван <ivan.petrov@example.com>\r\nTo: claims@claims.example.ru\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0300\r\nMessage-ID: <{name}@client.example.com>\r\nMIME-Version: 1.0\r\n"
            f"{head}\r\n{body}").encode()


def _zeros_zip(megabytes: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("zeros.bin", "w", force_zip64=True) as member:
            block = bytes(MB)
            for _ in range(megabytes):
                member.write(block)
    return out.getvalue()


def _gzip_zeros(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MB)
    return b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()


def email_encoded_word_flood(spec: dict[str, Any], tag: str) -> bytes:
    words = " ".join(["=?utf-8?B?0JbQsNC70L7QsdCw?="] * int(spec["words"]))
    return _mail(tag, f"Subject: {words}\r\nContent-Type: text/plain; charset=utf-8\r\n", COMPLAINT)


def email_rfc2231_flood(spec: dict[str, Any], tag: str) -> bytes:
    sections = "".join(f";\r\n filename*{i}*=%3Cscript%3E" for i in range(int(spec["sections"])))
    body = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + COMPLAINT + "\r\n--b1\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"Content-Disposition: attachment{sections}\r\n\r\nhello\r\n--b1--\r\n")
    return _mail(tag, "Subject: rfc2231\r\nContent-Type: multipart/mixed; boundary=b1\r\n", body)


def email_nested_multipart(spec: dict[str, Any], tag: str) -> bytes:
    depth = int(spec["depth"])
    body = "Content-Type: text/plain; charset=utf-8\r\n\r\n" + COMPLAINT + " Вложено глубоко.\r\n"
    for level in range(depth, 0, -1):
        body = f"Content-Type: multipart/mixed; boundary=n{level}\r\n\r\n--n{level}\r\n{body}\r\n--n{level}--\r\n"
    head, _, rest = body.partition("\r\n\r\n")
    return _mail(tag, f"Subject: nested {depth}\r\n{head}\r\n", rest)


def email_many_parts(spec: dict[str, Any], tag: str) -> bytes:
    part = "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + COMPLAINT + "\r\n"
    return _mail(tag, "Subject: parts\r\nContent-Type: multipart/mixed; boundary=b1\r\n",
                 part * int(spec["parts"]) + "--b1--\r\n")


def email_oversize_header(spec: dict[str, Any], tag: str) -> bytes:
    filler = "".join(f"X-Filler-{i}: {'a' * 70}\r\n" for i in range(int(spec["bytes"]) // 85))
    return _mail(tag, f"Subject: header\r\n{filler}Content-Type: text/plain; charset=utf-8\r\n", COMPLAINT)


def email_zip_bomb(spec: dict[str, Any], tag: str) -> bytes:
    data = _zeros_zip(int(spec["uncompressed_mb"]))
    body = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + COMPLAINT + "\r\n--b1\r\n"
            "Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
            "Content-Disposition: attachment; filename=\"документы.zip\"\r\n\r\n" + _b64_lines(data) + "\r\n--b1--\r\n")
    return _mail(tag, "Subject: zip\r\nContent-Type: multipart/mixed; boundary=b1\r\n", body)


def email_gzip_body(spec: dict[str, Any], tag: str) -> bytes:
    data = _gzip_zeros(int(spec["uncompressed_mb"]))
    return _mail(tag, "Subject: gzip\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Encoding: gzip\r\n"
                 "Content-Transfer-Encoding: base64\r\n", _b64_lines(data))


def email_long_line(spec: dict[str, Any], tag: str) -> bytes:
    text = (COMPLAINT + " ") * (int(spec["chars"]) // (len(COMPLAINT) + 1))
    return _mail(tag, "Subject: long\r\nContent-Type: text/plain; charset=utf-8\r\n", text)


def email_html_flood(spec: dict[str, Any], tag: str) -> bytes:
    """An HTML-only mail: the complaint, then megabytes of one markup `unit` (an unterminated tag, nested lists);
    with `numbered`, each repetition has its number in place of {i} (tags that differ in one attribute)."""
    unit = str(spec["unit"])
    count = int(spec["bytes"]) // len(unit)
    flood = "".join(unit.format(i=i) for i in range(count)) if spec.get("numbered") else unit * count
    body = f"<p>{COMPLAINT}</p>" + flood
    return _mail(tag, "Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n", body)


def email_many_references(spec: dict[str, Any], tag: str) -> bytes:
    refs = "\r\n ".join(f"<ref{i}@example.org>" for i in range(int(spec["count"])))
    return _mail(tag, f"Subject: refs\r\nReferences: {refs}\r\nIn-Reply-To: <ref0@example.org>\r\n"
                 "Content-Type: text/plain; charset=utf-8\r\n", COMPLAINT)


VK_BASE: dict[str, Any] = {
    "group_id": 229000001, "type": "message_new", "v": "5.199", "secret": "s3cr3t-callback-key",
    "object": {"message": {"date": 1763890000, "from_id": 510001, "id": 41, "peer_id": 510001, "text": COMPLAINT}},
}
TELEGRAM_BASE: dict[str, Any] = {"message": {
    "message_id": 1, "from": {"id": 555000111, "is_bot": False, "first_name": "Иван"},
    "chat": {"id": 555000111, "type": "private"}, "date": 1795431600, "text": COMPLAINT}}
OK_BASE: dict[str, Any] = {
    "sender": {"user_id": "user:571982496599", "name": "Иван"}, "recipient": {"chat_id": "chat:C3ed8b7c6a8ff"},
    "message": {"text": COMPLAINT, "seq": 1}, "timestamp": 1557237834629, "webhookType": "MESSAGE_CREATED"}
REST_BASE: dict[str, Any] = {"text": COMPLAINT, "contract_number": "12-000001"}


def _base(spec: dict[str, Any], tag: str) -> dict[str, Any]:
    """The entry's base body, made unique per recipe (`tag`)."""
    body: dict[str, Any] = json.loads(json.dumps({"vk": VK_BASE, "telegram": TELEGRAM_BASE, "ok": OK_BASE,
                                                  "rest": REST_BASE}[spec["base"]]))
    number = zlib.crc32(tag.encode())
    if spec["base"] == "vk":
        body["event_id"] = f"hostile-recipe-{tag}"
        body["object"]["message"]["conversation_message_id"] = number
    elif spec["base"] == "telegram":
        body["update_id"] = 920_000_000 + number % 1_000_000
        body["message"]["message_id"] = 920_000_000 + number % 1_000_000
    elif spec["base"] == "ok":
        body["message"]["mid"] = f"mid:HOSTILE.recipe.{tag}"
    return body


def json_nested(spec: dict[str, Any], tag: str) -> bytes:
    depth = int(spec["depth"])
    text = json.dumps(_base(spec, tag), ensure_ascii=False)
    return text[:-1].encode() + b', "deep": ' + b"[" * depth + b"]" * depth + b"}"


def json_huge_text(spec: dict[str, Any], tag: str) -> bytes:
    body = _base(spec, tag)
    text = ("жалоба " * (int(spec["bytes"]) // 13 + 1))[: int(spec["bytes"]) // 2]
    target = {"vk": lambda b: b["object"]["message"], "telegram": lambda b: b["message"],
              "ok": lambda b: b["message"], "rest": lambda b: b}[spec["base"]](body)
    target["text"] = text
    return json.dumps(body, ensure_ascii=False).encode()


def form_long_text(spec: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"csrf_token": "__CSRF__", "idempotency_key": "__KEY__",
                                   "client_id": "__CLIENT_IVANOV__", "text": "я" * int(spec["chars"])}).encode()


CSV_HEADER = "contract_number;name;segment;building_type;packages;address;phones;emails;manager_login"


def csv_huge_cell(spec: dict[str, Any]) -> bytes:
    name = "Я" * (int(spec["bytes"]) // 2)
    return (CSV_HEADER + f"\n77-910015;{name};individual;private;;;;;m.petrova\n").encode()


def csv_many_columns(spec: dict[str, Any]) -> bytes:
    extra = int(spec["columns"])
    header = CSV_HEADER + "".join(f";x{i}" for i in range(extra))
    row = "77-910016;Много Колонок;individual;private;;;;;m.petrova" + ";<script>" * extra
    return (header + "\n" + row + "\n").encode()


def zip_bomb(spec: dict[str, Any]) -> bytes:
    return _zeros_zip(int(spec["uncompressed_mb"]))


def tiff_huge_header(spec: dict[str, Any]) -> bytes:
    """A little-endian TIFF whose IFD declares side×side 8-bit pixels, with one strip of a few bytes."""
    side = int(spec["side"])
    entries = [(256, 4, 1, side), (257, 4, 1, side), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8 + 2 + 12 * 9 + 4), (277, 3, 1, 1), (278, 4, 1, side), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\x00" * 4
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\xff" * 16


def pdf_huge_page(spec: dict[str, Any]) -> bytes:
    from reportlab.pdfgen import canvas

    points = float(spec["points"])
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(points, points))
    pdf.drawString(72, 72, "Huge page")
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def pdf_text(spec: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont(TEXT_PDF_FONT, str(FONT_PATH)))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setFont(TEXT_PDF_FONT, 12)
    y = A4[1] - 72
    for line in spec["lines"]:
        pdf.drawString(56, y, str(line))
        y -= 17
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def pdf_js_action(spec: dict[str, Any]) -> bytes:
    """A hand-made PDF: a text layer (Helvetica) and an OpenAction running JavaScript."""
    stream = b"BT /F1 14 Tf 56 760 Td (Contract 12-000001: no internet <script>alert(1)</script>) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript << /Names [(x) 5 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 6 0 R >> >> /AA << /O 5 0 R >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /S /JavaScript /JS (app.alert\\('xss'\\); this.submitForm\\('http://127.0.0.1:9/'\\);) >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


SIMPLE: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "form_long_text": form_long_text,
    "csv_huge_cell": csv_huge_cell,
    "csv_many_columns": csv_many_columns,
    "zip_bomb": zip_bomb,
    "png_bomb": lambda spec: bomb_png(int(spec["side"])),
    "tiff_huge_header": tiff_huge_header,
    "pdf_many_pages": lambda spec: many_pages_pdf(int(spec["pages"])),
    "pdf_huge_page": pdf_huge_page,
    "pdf_truncated": lambda spec: corrupt_pdf(),
    "pdf_text": pdf_text,
    "pdf_js_action": pdf_js_action,
}
TAGGED: dict[str, Callable[[dict[str, Any], str], bytes]] = {
    "email_encoded_word_flood": email_encoded_word_flood,
    "email_rfc2231_flood": email_rfc2231_flood,
    "email_nested_multipart": email_nested_multipart,
    "email_many_parts": email_many_parts,
    "email_oversize_header": email_oversize_header,
    "email_zip_bomb": email_zip_bomb,
    "email_gzip_body": email_gzip_body,
    "email_long_line": email_long_line,
    "email_many_references": email_many_references,
    "email_html_flood": email_html_flood,
    "json_nested": json_nested,
    "json_huge_text": json_huge_text,
}
KINDS = frozenset(SIMPLE) | frozenset(TAGGED)


def expand(spec: dict[str, Any], tag: str) -> bytes:
    """The bytes a recipe describes; `tag` (the recipe's file name) makes ids in the body unique."""
    kind = spec["kind"]
    if kind in TAGGED:
        return TAGGED[kind](spec, tag)
    return SIMPLE[kind](spec)
