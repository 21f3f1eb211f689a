"""Regenerate the hostile-input corpus: `uv run --frozen python tests/data/hostile/make_corpus.py`.

Writes one file per input under <entry>/ and each entry's MANIFEST.json (the expected outcome of every file,
see README.md). The files are committed; this script documents how their bytes were made. Inputs too big to
commit are recipes (`*.recipe.json`) expanded at test time by tests/hostile/recipes.py.
"""

from __future__ import annotations

import base64
import json
import shutil
import urllib.parse
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ENTRIES = ("email", "vk", "ok", "telegram", "rest", "phone", "csv", "scan")

# Every active-content form a page could execute if it printed a text unescaped.
XSS = {
    "script": "<script>alert('xss')</script>",
    "img_onerror": "<img src=x onerror=alert(1)>",
    "js_href": '<a href="javascript:alert(1)">ссылка</a>',
    "js_url": "javascript:alert(document.cookie)",
    "svg_onload": "<svg onload=alert(1)>",
    "svg_script": "<svg><script>alert(1)</script></svg>",
    "quote_break": '"><script>alert(1)</script>',
    "attr_break": "' onmouseover='alert(1)' x='",
    "textarea_break": "</textarea><script>alert(1)</script>",
    "iframe": "<iframe src=javascript:alert(1)></iframe>",
    "body_onload": "<body onload=alert(1)>",
    "template": "{{ 7*7 }}{% raw %}<b>{{config}}</b>",
}
ALL_XSS = " ".join(XSS.values())
COMPLAINT = "Второй день нет интернета, прошу сделать перерасчёт."

manifests: dict[str, dict[str, dict[str, Any]]] = {entry: {} for entry in ENTRIES}


def put(entry: str, name: str, data: bytes | str | dict[str, Any] | list[Any], expect: dict[str, Any]) -> None:
    if isinstance(data, dict | list):
        data = json.dumps(data, ensure_ascii=False, indent=1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    (HERE / entry / name).write_bytes(data)
    assert name not in manifests[entry], name
    manifests[entry][name] = expect


def recipe(entry: str, name: str, spec: dict[str, Any], expect: dict[str, Any]) -> None:
    put(entry, f"{name}.recipe.json", spec, expect)


def event(note: str, **more: Any) -> dict[str, Any]:
    return {"expect": "event", "note": note, **more}


def quarantine(note: str, reason: str, **more: Any) -> dict[str, Any]:
    return {"expect": "quarantine", "reason": reason, "note": note, **more}


def refused(note: str, status: int, **more: Any) -> dict[str, Any]:
    return {"expect": "refused", "status": status, "note": note, **more}


# --- email ------------------------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def ew(text: str) -> str:
    return "=?utf-8?B?" + base64.b64encode(text.encode()).decode() + "?="


def mail(name: str, *, sender: str = "Иван <ivan.petrov@example.com>", subject: str = "Нет интернета",
         body: str | bytes = COMPLAINT, ctype: str = "text/plain; charset=utf-8", extra: str = "",
         cte: str = "8bit", raw_head: str | None = None) -> bytes:
    own = f"<{name}@client.example.com>"
    head = raw_head if raw_head is not None else (
        f"From: {sender}\r\nTo: claims@claims.example.ru\r\nSubject: {subject}\r\n"
        f"Date: Mon, 23 Nov 2026 10:00:00 +0300\r\nMessage-ID: {own}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n{extra}"
    )
    data = body if isinstance(body, bytes) else body.encode("utf-8")
    return head.encode("utf-8", "surrogateescape") + b"\r\n" + data


def multipart(parts: list[str], boundary: str = "b1") -> str:
    inner = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    return inner + f"--{boundary}--\r\n"


def text_part(text: str, ctype: str = "text/plain; charset=utf-8") -> str:
    return f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{text}"


def attachment(filename_header: str, data: bytes, ctype: str = "application/octet-stream") -> str:
    return (f"Content-Type: {ctype}\r\nContent-Transfer-Encoding: base64\r\n"
            f"Content-Disposition: attachment; {filename_header}\r\n\r\n{b64(data)}")


def make_email() -> None:
    e = "email"
    multi = "multipart/mixed; boundary=b1"
    # XSS in every text field of a mail.
    for key in ("script", "img_onerror", "quote_break", "svg_onload"):
        put(e, f"xss_subject_{key}.eml", mail(f"xss_subject_{key}", subject=ew(XSS[key])),
            event(f"XSS ({key}) in an encoded-word Subject: stored as text", subject_contains=XSS[key]))
    put(e, "xss_subject_raw8bit.eml", mail("xss_subject_raw8bit", subject=XSS["attr_break"] + " жалоба"),
        event("XSS in a raw 8-bit Subject", subject_contains="onmouseover"))
    put(e, "xss_display_name.eml", mail("xss_display_name", sender=f"{ew(XSS['img_onerror'])} <ivan@example.com>"),
        event("XSS as the sender's display name", emails=["ivan@example.com"]))
    put(e, "xss_plain_body.eml", mail("xss_plain_body", body=COMPLAINT + "\r\n" + ALL_XSS),
        event("every XSS payload in a plain-text body: kept as text", text_contains=[XSS["script"],
                                                                                     XSS["img_onerror"]]))
    put(e, "xss_html_body.eml", mail("xss_html_body", ctype="text/html; charset=utf-8", body=(
        "<html><head><script>alert(1)</script><meta http-equiv=refresh content='0;url=javascript:alert(1)'>"
        "</head><body onload=alert(1)><p>" + COMPLAINT + "</p><img src=x onerror=alert(1)>"
        "<a href='javascript:alert(1)'>ссылка</a><svg onload=alert(1)></svg><iframe src=javascript:alert(1)>"
        "</iframe></body></html>")),
        event("an HTML-only body full of active content: HTML becomes text", text_contains=["нет интернета"]))
    put(e, "xss_attachment_filename.eml", mail("xss_attachment_filename", ctype=multi, body=multipart([
        text_part(COMPLAINT),
        attachment('filename="\\"><img src=x onerror=alert(1)>.pdf"', b"%PDF-1.4 not really"),
    ])), event("XSS in an attachment's file name"))
    put(e, "xss_attachment_rfc2231.eml", mail("xss_attachment_rfc2231", ctype=multi, body=multipart([
        text_part(COMPLAINT),
        attachment("filename*=utf-8''%3Cscript%3Ealert(1)%3C%2Fscript%3E.txt", b"hello"),
    ])), event("XSS in an RFC 2231 encoded file name"))
    put(e, "xss_svg_attachment.eml", mail("xss_svg_attachment", ctype=multi, body=multipart([
        text_part(COMPLAINT),
        attachment('filename="photo.svg"', b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
                   b"<script>alert(document.domain)</script></svg>", "image/svg+xml"),
    ])), event("an SVG attachment carrying a script: stored, never inlined"))
    put(e, "xss_html_attachment.eml", mail("xss_html_attachment", ctype=multi, body=multipart([
        text_part(COMPLAINT),
        attachment('filename="invoice.html"', b"<script>alert(1)</script>", "text/html"),
    ])), event("an HTML attachment with a script"))
    put(e, "xss_contract_number.eml", mail("xss_contract_number", body="Договор № 12-000001<script>alert(1)</script>"
                                           " и лицевой счёт <img src=x onerror=alert(1)>"),
        event("XSS glued to a contract number", text_contains=["<script>alert(1)</script>"]))
    put(e, "xss_message_id.eml", mail("xss_message_id", extra="In-Reply-To: <\"><script>alert(1)</script>@x>\r\n"
                                      "References: <javascript:alert(1)@x> <<svg onload=alert(1)>@y>\r\n"),
        event("XSS in In-Reply-To and References"))
    # CVE-2023-27043: addresses parseaddr reads differently from a mail client.
    ambiguous = {
        "cve_2023_27043_paren": "alice@example.org)<bob@example.org>",
        "cve_2023_27043_two_angles": "<alice@example.org><bob@example.org>",
        "cve_2023_27043_name_is_address": "\"alice@example.org\" <bob@example.org>",
        "cve_2023_27043_comment": "bob@example.org (alice@example.org)",
        "cve_2023_27043_list": "alice@example.org, bob@example.org",
        "cve_2023_27043_quote_escape": "\"alice@example.org\\\" <evil@example.org>\" <bob@example.org>",
        "cve_2023_27043_unbalanced": "\"alice <alice@example.org>",
        "cve_2023_27043_encoded_name": f"{ew('alice@example.org')} <bob@example.org>",
        "cve_2023_27043_semicolon": "alice@example.org;bob@example.org",
        "cve_2023_27043_route": "<@evil.example:alice@example.org>",
    }
    for name, sender in ambiguous.items():
        expect = event(f"CVE-2023-27043 style sender {sender!r}: no identity taken from it")
        if name != "cve_2023_27043_route":  # an obsolete source route names one address: that one may be taken
            expect["emails_exclude"] = ["alice@example.org", "bob@example.org", "evil@example.org"]
        put(e, f"{name}.eml", mail(name, sender=sender), expect)
    # CVE-2024-6923: newlines inside encoded words would inject headers when the value is written back.
    put(e, "cve_2024_6923_subject_crlf.eml", mail(
        "cve_2024_6923_subject_crlf", subject="=?utf-8?q?Hello=0D=0ABcc:_victim@example.org?="),
        event("an encoded-word Subject decoding to CRLF + Bcc", no_newline=["subject", "display_name"]))
    put(e, "cve_2024_6923_name_crlf.eml", mail(
        "cve_2024_6923_name_crlf", sender=f"{ew('Иван' + chr(13) + chr(10) + 'Bcc: victim@example.org')} "
                                          "<ivan@example.com>"),
        event("an encoded-word display name decoding to CRLF + Bcc", no_newline=["subject", "display_name"]))
    put(e, "cve_2024_6923_subject_lf_b64.eml", mail(
        "cve_2024_6923_subject_lf_b64", subject=ew("Жалоба\nX-Injected: yes\n\n<script>alert(1)</script>")),
        event("a base64 encoded-word Subject with bare LFs and a body after a blank line",
              no_newline=["subject", "display_name"]))
    put(e, "header_injection_bare_cr.eml", mail("header_injection_bare_cr", subject="Тема\rBcc: victim@example.org"),
        event("a bare CR inside a raw Subject", no_newline=["subject"]))
    put(e, "header_injection_folded_bcc.eml", mail(
        "header_injection_folded_bcc", subject="Тема\r\n Bcc: victim@example.org"),
        event("a folded Subject line that looks like a Bcc header", no_newline=["subject"]))
    put(e, "header_injection_reply_to.eml", mail(
        "header_injection_reply_to",
        extra=f"Reply-To: {ew('x' + chr(10) + 'Bcc: victim@example.org')} <ivan@x.ru>\r\n"),
        event("an encoded-word newline in Reply-To"))
    # Malformed MIME.
    put(e, "mime_no_boundary.eml", mail("mime_no_boundary", ctype="multipart/mixed", body=multipart([
        text_part(COMPLAINT)])), event("multipart without a boundary parameter"))
    put(e, "mime_empty_boundary.eml", mail("mime_empty_boundary", ctype='multipart/mixed; boundary=""',
                                           body="--\r\n\r\n" + COMPLAINT + "\r\n----\r\n"),
        event("multipart with an empty boundary"))
    put(e, "mime_unclosed_boundary.eml", mail("mime_unclosed_boundary", ctype=multi,
                                              body="--b1\r\n" + text_part(COMPLAINT) + "\r\n--b1\r\nContent-Type: "),
        event("a multipart cut off in a part header", text_contains=["нет интернета"]))
    put(e, "mime_boundary_mismatch.eml", mail("mime_boundary_mismatch", ctype=multi,
                                              body=multipart([text_part(COMPLAINT)], boundary="other")),
        event("a boundary that never occurs in the body"))
    put(e, "mime_bad_base64.eml", mail("mime_bad_base64", cte="base64", body="!!!!не base64!!!!\r\n%%%%===="),
        event("a base64 body of invalid characters: what decodes is kept"))
    put(e, "mime_bad_qp.eml", mail("mime_bad_qp", cte="quoted-printable",
                                   body="=ZZ=D0=9D=D0=B5=\r\n=D1 " + COMPLAINT + " =\r\n=0"),
        event("quoted-printable with invalid escapes"))
    put(e, "mime_unknown_cte.eml", mail("mime_unknown_cte", cte="x-uuencode", body=COMPLAINT),
        event("an unknown Content-Transfer-Encoding"))
    put(e, "mime_garbage_content_type.eml", mail("mime_garbage_content_type", ctype="/;;;==\x01\x02; charset=",
                                                 body=COMPLAINT), event("a Content-Type of garbage"))
    put(e, "mime_duplicate_params.eml", mail("mime_duplicate_params",
                                             ctype='text/plain; charset="utf-8"; charset="koi8-r"'),
        event("a charset given twice"))
    put(e, "mime_nul_bytes.eml", mail("mime_nul_bytes", subject="Тема\x00с нулём", body=COMPLAINT + "\x00\x00конец"),
        event("NUL bytes in a header and the body", text_contains=["конец"]))
    put(e, "mime_no_separator.eml", b"From: ivan@example.com\r\nSubject: no blank line\r\n" + COMPLAINT.encode()
        + b"\r\n", event("no blank line between the header and the body: the first non-header line starts the body",
                          text_contains=["нет интернета"]))
    put(e, "mime_binary_garbage.eml", bytes(range(256)) * 8, quarantine("random bytes, not a mail", "header"))
    put(e, "mime_header_only.eml", mail("mime_header_only", body=b""),
        event("a mail with headers and no body: the subject is the text", text_contains=["Нет интернета"]))
    put(e, "mime_invalid_utf8_body.eml", mail("mime_invalid_utf8_body", body=b"\xff\xfe\xc0\xaf " +
                                              COMPLAINT.encode() + b" \xed\xa0\x80"),
        event("invalid UTF-8 (overlong, surrogate) in a body declared UTF-8 (read as another charset, "
              "the original kept)"))
    put(e, "mime_invalid_utf8_header.eml", mail("mime_invalid_utf8_header", subject="\udcff\udcfe тема \udcc0"),
        event("invalid UTF-8 bytes in a raw Subject"))
    put(e, "mime_rfc822_loop.eml", mail("mime_rfc822_loop", ctype=multi, body=multipart([
        text_part(COMPLAINT),
        "Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822"
        "\r\n\r\nSubject: inner\r\n\r\n<script>alert(1)</script>",
    ])), event("message/rfc822 nested in itself"))
    # Charset bombs.
    put(e, "charset_utf7_xss.eml", mail("charset_utf7_xss", ctype="text/plain; charset=utf-7",
                                        body="+ADw-script+AD4-alert(1)+ADw-/script+AD4- " + COMPLAINT),
        event("UTF-7 that decodes to a script tag"))
    put(e, "charset_utf16_no_bom.eml", mail("charset_utf16_no_bom", ctype="text/plain; charset=utf-16",
                                            body=(COMPLAINT + "<script>alert(1)</script>").encode("utf-16-le")),
        event("UTF-16 without a BOM"))
    put(e, "charset_long_label.eml", mail("charset_long_label", ctype="text/plain; charset=" + "x" * 5000),
        event("a 5000-character charset label", text_contains=["нет интернета"]))
    put(e, "charset_unknown_encoded_words.eml", mail(
        "charset_unknown_encoded_words", subject="=?x-evil?B?PHNjcmlwdD4=?= =?utf-8?Q?=ZZ?= =??B??= =?utf-8?X?a?="),
        event("encoded words with unknown charsets, encodings and empty labels"))
    put(e, "charset_iso2022_escapes.eml", mail("charset_iso2022_escapes", ctype="text/plain; charset=iso-2022-jp",
                                               body=b"\x1b$B\x1b(J\x1b$)C\x0e\x0f" + COMPLAINT.encode()),
        event("ISO-2022-JP escape sequences around 8-bit text"))
    recipe(e, "charset_encoded_word_flood", {"kind": "email_encoded_word_flood", "words": 20000},
           quarantine("a Subject of 20000 encoded words: over the header cap before any decoding", "header size cap"))
    recipe(e, "charset_rfc2231_continuations", {"kind": "email_rfc2231_flood", "sections": 5000},
           event("a file name in 5000 RFC 2231 continuations"))
    # Nesting, sizes and bombs.
    recipe(e, "nesting_deep_multipart_60", {"kind": "email_nested_multipart", "depth": 60},
           quarantine("multipart nested 60 deep", "MIME nesting deeper than 20"))
    recipe(e, "nesting_deep_multipart_3000", {"kind": "email_nested_multipart", "depth": 3000},
           quarantine("multipart nested 3000 deep: the stdlib parser recurses; quarantined at once",
                      "MIME parts nested too deeply"))
    recipe(e, "bomb_too_many_parts", {"kind": "email_many_parts", "parts": 1000},
           quarantine("1000 parts", "MIME parts"))
    recipe(e, "bomb_oversize_header", {"kind": "email_oversize_header", "bytes": 400_000},
           quarantine("a 400 KB header (quadratic header parsing)", "header size cap"))
    recipe(e, "bomb_zip_attachment", {"kind": "email_zip_bomb", "uncompressed_mb": 200},
           event("a zip of 200 MB of zeros as an attachment: stored by size, never unpacked"))
    recipe(e, "bomb_gzip_body", {"kind": "email_gzip_body", "uncompressed_mb": 100},
           event("a body claiming Content-Encoding gzip: never inflated, kept as the bytes it is"))
    recipe(e, "bomb_long_line", {"kind": "email_long_line", "chars": 2_000_000},
           event("a 2 MB single-line body: cut, the full text kept", text_contains=["[текст сокращён"]))
    recipe(e, "html_unterminated_tags", {"kind": "email_html_flood", "unit": "<a ", "bytes": 3_000_000},
           event("3 MB of unterminated '<a ' in an HTML-only mail (the stdlib parser alone: hours, CVE-2025-6069): "
                 "the head of the markup read, the cut marked", text_contains=[COMPLAINT, "[письмо длиннее"]))
    recipe(e, "html_nested_lists", {"kind": "email_html_flood", "unit": "<ul>", "bytes": 3_000_000},
           event("750,000 nested <ul> in an HTML-only mail (html5ever: the square of the depth): the head read, the "
                 "cut marked", text_contains=[COMPLAINT, "[письмо длиннее"]))
    recipe(e, "html_formatting_attributes", {"kind": "email_html_flood", "unit": "<b a0 a1 a2 a3 a4 a5 id={i}>",
                                             "numbered": True, "bytes": 3_000_000},
           event("unclosed <b> tags that differ in one attribute (html5ever compares every new one with every open "
                 "one, attributes sorted: 128 KB of them took ~8 s): attributes are removed before it reads them",
                 text_contains=[COMPLAINT, "[письмо длиннее"]))
    recipe(e, "bomb_references", {"kind": "email_many_references", "count": 20000},
           quarantine("20000 Message-IDs in References: over the header cap", "header size cap"))
    recipe(e, "bomb_references_under_cap", {"kind": "email_many_references", "count": 5000},
           event("5000 Message-IDs in References, under the header cap"))
    put(e, "empty.eml", b"", quarantine("an empty file", "empty mail"))


# --- chat webhooks ----------------------------------------------------------------------------------------

VK_GROUP = 229000001
VK_SECRET = "s3cr3t-callback-key"


def vk_event(name: str, text: str = COMPLAINT, message: dict[str, Any] | None = None, **top: Any) -> dict[str, Any]:
    msg = {"date": 1763890000, "from_id": 510001, "id": 41, "out": 0, "attachments": [],
           "conversation_message_id": 17, "fwd_messages": [], "peer_id": 510001, "random_id": 0, "text": text}
    number = zlib.crc32(name.encode())
    msg["id"], msg["conversation_message_id"] = number, number  # chats dedupe on (peer_id, cmid)
    msg.update(message or {})
    body: dict[str, Any] = {"group_id": VK_GROUP, "type": "message_new", "event_id": f"hostile-{name}",
                            "v": "5.199", "object": {"message": msg, "client_info": {"lang_id": 0}},
                            "secret": VK_SECRET}
    body.update(top)
    return body


def make_vk() -> None:
    v = "vk"
    for key, payload in XSS.items():
        put(v, f"xss_text_{key}.json", vk_event(f"xss_text_{key}", COMPLAINT + " " + payload),
            event(f"XSS ({key}) in the message text", text_contains=[payload]))
    put(v, "xss_fwd_message.json", vk_event("xss_fwd_message", message={"fwd_messages": [
        {"from_id": 7, "text": XSS["script"], "date": 1,
         "fwd_messages": [{"from_id": 8, "text": XSS["svg_onload"]}]}]}),
        event("XSS in forwarded messages"))
    put(v, "xss_reply_message.json", vk_event("xss_reply_message", message={"reply_message": {
        "from_id": 7, "text": XSS["img_onerror"], "date": 1}}), event("XSS in the replied-to message"))
    put(v, "xss_attachment_titles.json", vk_event("xss_attachment_titles", message={"attachments": [
        {"type": "doc", "doc": {"id": 1, "owner_id": 2, "title": XSS["quote_break"] + ".pdf", "ext": "pdf",
                                "size": 10, "url": "javascript:alert(1)"}},
        {"type": "link", "link": {"url": "javascript:alert(1)", "title": XSS["script"],
                                  "description": XSS["img_onerror"]}},
        {"type": "photo", "photo": {"id": 3, "owner_id": 2, "text": XSS["svg_onload"],
                                    "sizes": [{"type": "x", "url": "javascript:alert(1)", "width": 1, "height": 1}]}},
    ]}), event("XSS in document, link and photo attachment fields"))
    put(v, "xss_payload_field.json", vk_event("xss_payload_field", message={"payload": json.dumps(
        {"command": XSS["script"]})}), event("XSS in a keyboard button payload"))
    put(v, "xss_wall_reply.json", {"group_id": VK_GROUP, "type": "wall_reply_new", "event_id": "hostile-xss_wall_reply",
                                   "v": "5.199", "secret": VK_SECRET, "object": {
                                       "id": 9, "from_id": 510002, "post_id": 5, "owner_id": -VK_GROUP,
                                       "date": 1763890000, "text": COMPLAINT + XSS["iframe"]}},
        event("XSS in a wall comment", text_contains=[XSS["iframe"]]))
    put(v, "xss_board_post.json", {"group_id": VK_GROUP, "type": "board_post_new", "event_id": "hostile-xss_board_post",
                                   "v": "5.199", "secret": VK_SECRET, "object": {
                                       "id": 9, "from_id": 510003, "topic_id": 5, "topic_owner_id": -VK_GROUP,
                                       "date": 1763890000, "text": COMPLAINT + XSS["body_onload"]}},
        event("XSS in a discussion board post", text_contains=[XSS["body_onload"]]))
    # Refused at the edge.
    put(v, "wrong_secret.json", vk_event("wrong_secret", secret="guess"), refused("a wrong secret", 403))
    no_secret = vk_event("no_secret")
    del no_secret["secret"]
    put(v, "no_secret.json", no_secret, refused("no secret", 403))
    put(v, "secret_not_a_string.json", vk_event("secret_not_a_string", secret=["s3cr3t-callback-key"]),
        refused("the secret as an array", 403))
    put(v, "group_id_string.json", vk_event("group_id_string", group_id=str(VK_GROUP)),
        refused("group_id a string", 403))
    put(v, "group_id_huge.json", vk_event("group_id_huge", group_id=10**400), refused("group_id of 400 digits", 403))
    put(v, "not_json.bin", b"type=message_new&secret=" + VK_SECRET.encode(), refused("a form body, not JSON", 403))
    put(v, "invalid_utf8.bin", b'{"type":"message_new","secret":"' + VK_SECRET.encode() + b'","text":"\xff\xfe"}',
        refused("invalid UTF-8 inside JSON", 403))
    put(v, "json_array.json", [vk_event("json_array")], refused("a JSON array of events", 403))
    recipe(v, "deep_nesting", {"kind": "json_nested", "depth": 100000, "base": "vk"},
           refused("100000 nested arrays", 400))
    recipe(v, "huge_body", {"kind": "json_huge_text", "bytes": 3_000_000, "base": "vk"}, refused("a 3 MB body", 413))
    # Authenticated but malformed: kept in quarantine with the reason.
    put(v, "no_object.json", vk_event("no_object", object=None), quarantine("an event without an object", "object"))
    put(v, "object_is_list.json", vk_event("object_is_list", object=[1, 2]), quarantine("object a list", "object"))
    put(v, "no_type.json", vk_event("no_type", type=None), quarantine("an event without a type", "type"))
    put(v, "peer_id_string.json", vk_event("peer_id_string", message={"peer_id": "510001"}),
        quarantine("peer_id a string", "peer_id"))
    put(v, "from_id_bool.json", vk_event("from_id_bool", message={"from_id": True}),
        quarantine("from_id a boolean", "from_id"))
    # Authenticated and odd, yet a complaint.
    put(v, "from_id_huge.json", vk_event("from_id_huge", message={"from_id": 10**40, "peer_id": 10**40}),
        event("from_id/peer_id of 41 digits"))
    put(v, "text_not_a_string.json", vk_event("text_not_a_string", message={"text": {"$gt": ""}}),
        event("text an object: a message without text", text_contains=["(сообщение без текста)"]))
    put(v, "text_huge_number.json", vk_event("text_huge_number", message={"text": 10**4000}),
        event("text a 4000-digit number: a message without text", text_contains=["(сообщение без текста)"]))
    put(v, "text_lone_surrogate.json", '{"group_id": 229000001, "type": "message_new", "event_id": '
        '"hostile-text_lone_surrogate", "v": "5.199", "secret": "s3cr3t-callback-key", "object": {"message": '
        '{"from_id": 510001, "peer_id": 510001, "id": 1, "date": 1763890000, '
        '"text": "\\ud800 нет интернета \\udfff"}}}',
        event("lone UTF-16 surrogates escaped in the text"))
    put(v, "text_nul_and_controls.json", vk_event("text_nul_and_controls", "нет\u0000интернета\u0007\u001b[31m"
                                                  "\u202eтекст"), event("NUL, BEL, ANSI escape and a bidi override"))
    put(v, "event_id_huge.json", vk_event("event_id_huge", event_id="e" * 100_000),
        event("an event_id of 100000 characters"))
    put(v, "duplicate_keys.json", '{"group_id": 229000001, "type": "message_new", "event_id": "hostile-duplicate_keys",'
        ' "secret": "wrong", "secret": "s3cr3t-callback-key", "object": {"message": {"from_id": 510001, '
        '"peer_id": 510001, "id": 2, "date": 1763890000, "text": "' + XSS["script"].replace("'", "") + '"}}}',
        event("a repeated secret key (the last one wins, as in json.loads)"))
    put(v, "nan_and_infinity.json", '{"group_id": 229000001, "type": "message_new", "event_id": "hostile-nan", '
        '"secret": "s3cr3t-callback-key", "object": {"message": {"from_id": 510001, "peer_id": 510001, "id": 3, '
        '"date": NaN, "conversation_message_id": Infinity, "text": "нет интернета"}}}',
        event("NaN and Infinity literals"))


TG_SECRET = "s3cret_Token-for-webhook"


def tg_update(update_id: int, message_text: str | None = COMPLAINT, sender: dict[str, Any] | None = None,
              **message: Any) -> dict[str, Any]:
    msg: dict[str, Any] = {
        "message_id": update_id % 100000,
        "from": {"id": 555000111, "is_bot": False, "first_name": "Иван", "last_name": "Иванов",
                 "username": "ivanov_ivan", "language_code": "ru"},
        "chat": {"id": 555000111, "first_name": "Иван", "type": "private"}, "date": 1795431600,
    }
    if message_text is not None:
        msg["text"] = message_text
    if sender is not None:
        msg["from"] = sender
    msg.update(message)
    return {"update_id": update_id, "message": msg}


def make_telegram() -> None:
    t = "telegram"
    n = iter(range(910_000_001, 910_100_000))
    for key, payload in XSS.items():
        put(t, f"xss_text_{key}.json", tg_update(next(n), COMPLAINT + " " + payload),
            event(f"XSS ({key}) in the message text", text_contains=[payload]))
    user = {"id": 555000112, "is_bot": False, "first_name": XSS["script"], "last_name": XSS["img_onerror"],
            "username": XSS["quote_break"]}
    put(t, "xss_sender_names.json", tg_update(next(n), sender=user), event("XSS in first/last/user name"))
    put(t, "xss_caption.json", tg_update(next(n), None, caption=COMPLAINT + XSS["svg_script"], photo=[
        {"file_id": "AgAC", "file_unique_id": "u1", "width": 90, "height": 90}]),
        event("XSS in a photo caption", text_contains=[XSS["svg_script"]]))
    put(t, "xss_document_name.json", tg_update(next(n), None, caption=COMPLAINT, document={
        "file_name": XSS["quote_break"] + ".pdf", "mime_type": "text/html", "file_id": "BQAC", "file_unique_id": "u2",
        "file_size": 10}), event("XSS in a document's file name and a text/html MIME type"))
    put(t, "xss_contact.json", tg_update(next(n), None, contact={
        "phone_number": "+79161110001<script>", "first_name": XSS["script"], "last_name": XSS["attr_break"],
        "vcard": "BEGIN:VCARD\nFN:" + XSS["img_onerror"] + "\nEND:VCARD"}), event("XSS in a shared contact"))
    put(t, "xss_text_link_entity.json", tg_update(next(n), "нажмите сюда " + COMPLAINT, entities=[
        {"type": "text_link", "offset": 0, "length": 6, "url": "javascript:alert(1)"}]),
        event("a text_link entity with a javascript: URL"))
    # Refused before the body is read.
    put(t, "no_secret.json", tg_update(next(n)), refused("no secret token header", 401, secret=None))
    put(t, "wrong_secret.json", tg_update(next(n)), refused("a wrong secret token", 401, secret="wrong"))
    put(t, "secret_with_newline.json", tg_update(next(n)),
        refused("a secret token with an injected header", 401, secret=TG_SECRET + "\tX-Injected: 1"))
    recipe(t, "deep_nesting", {"kind": "json_nested", "depth": 100000, "base": "telegram"},
           refused("100000 nested arrays", 400))
    # Quarantined with the reason (Telegram would resend a refused update for 24 h).
    put(t, "not_json.bin", b"update_id=1&message=hello", quarantine("a form body", "not JSON"))
    put(t, "invalid_utf8.bin", b'{"update_id": 910099001, "message": {"text": "\xff\xfe\xc0"}}',
        quarantine("invalid UTF-8", "not JSON"))
    put(t, "json_array.json", [tg_update(910099002)], quarantine("an array of updates", "not a JSON object"))
    put(t, "update_id_missing.json", {"message": tg_update(1)["message"]}, quarantine("no update_id", "update_id"))
    put(t, "update_id_string.json", tg_update(1) | {"update_id": "910099003"}, quarantine("update_id a string",
                                                                                         "update_id"))
    put(t, "update_id_negative.json", tg_update(-5), quarantine("a negative update_id", "update_id"))
    put(t, "update_id_float.json", '{"update_id": 1e400, "message": {"text": "x"}}',
        quarantine("update_id 1e400 (infinity as a float)", "update_id"))
    recipe(t, "huge_body", {"kind": "json_huge_text", "bytes": 1_500_000, "base": "telegram"},
           quarantine("a 1.5 MB update", "larger than"))
    put(t, "update_id_huge.json", tg_update(10**30), event("an update_id of 31 digits"))
    put(t, "text_lone_surrogate.json", json.dumps(tg_update(next(n), "\ud800 нет интернета \udfff")),
        event("lone surrogates escaped in the text"))
    put(t, "text_nul_controls.json", tg_update(next(n), "нет\u0000интернета\u001b[2J\u202e\u200b"),
        event("NUL, an ANSI escape, bidi and zero-width characters"))
    put(t, "text_is_object.json", tg_update(next(n), None, text={"$ne": None}, caption=COMPLAINT),
        quarantine("text an object next to a caption", "Bot API schema (message.text)"))
    put(t, "text_only_object.json", tg_update(next(n), None, text={"$ne": None}),
        quarantine("text an object and nothing else", "text"))
    put(t, "text_huge_number.json", tg_update(next(n), None, text=10**4000),
        quarantine("text a 4000-digit number", "text"))
    put(t, "from_id_huge.json", tg_update(next(n), sender={"id": 10**30, "is_bot": False, "first_name": "X"},
                                          chat={"id": 10**30, "type": "private"}),
        event("a sender id of 31 digits"))
    recipe(t, "text_long", {"kind": "json_huge_text", "bytes": 900_000, "base": "telegram"},
           event("a 900 KB text within the body cap: cut, full text kept", text_contains=["[текст сокращён"]))


OK_SECRET = "s3cr3t-path-0123456789abcdef"


def ok_message(mid: str, text: Any = COMPLAINT, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sender": {"user_id": "user:571982496599", "name": "Иван Иванов"},
                            "recipient": {"chat_id": "chat:C3ed8b7c6a8ff"},
                            "message": {"text": text, "seq": 100923418401, "mid": f"mid:{mid}"},
                            "timestamp": 1557237834629, "webhookType": "MESSAGE_CREATED"}
    body.update(over)
    return body


def make_ok() -> None:
    o = "ok"
    for key, payload in XSS.items():
        put(o, f"xss_text_{key}.json", ok_message(f"HOSTILE.xss_text_{key}", COMPLAINT + " " + payload),
            event(f"XSS ({key}) in the message text", text_contains=[payload]))
    put(o, "xss_sender_name.json", ok_message("HOSTILE.xss_sender_name", sender={
        "user_id": "user:571982496598", "name": XSS["script"] + XSS["attr_break"]}), event("XSS as the sender's name"))
    put(o, "xss_attachment.json", ok_message("HOSTILE.xss_attachment", message={
        "text": COMPLAINT, "mid": "mid:HOSTILE.xss_attachment", "seq": 1, "attachments": [
            {"type": "FILE", "payload": {"url": "javascript:alert(1)", "name": XSS["quote_break"] + ".pdf"}},
            {"type": "IMAGE", "payload": {"url": "data:text/html,<script>alert(1)</script>"}}]}),
        event("XSS and javascript:/data: URLs in attachments"))
    put(o, "wrong_path_secret.json", ok_message("HOSTILE.wrong_path_secret"),
        refused("a wrong secret path segment", 404, path_secret="guess"))
    put(o, "path_secret_xss.json", ok_message("HOSTILE.path_secret_xss"),
        refused("XSS as the secret path segment", 404, path_secret="<script>alert(1)</script>"))
    put(o, "foreign_source.json", ok_message("HOSTILE.foreign_source"),
        refused("a source outside OK's networks", 403, source="203.0.113.9"))
    put(o, "spoofed_forwarded_for.json", ok_message("HOSTILE.spoofed_forwarded_for"),
        refused("X-Forwarded-For from an untrusted peer", 403, source="203.0.113.9",
                headers={"X-Forwarded-For": "217.20.151.165"}))
    recipe(o, "deep_nesting", {"kind": "json_nested", "depth": 100000, "base": "ok"},
           refused("100000 nested arrays", 400))
    put(o, "not_json.bin", b"<xml>not json</xml>", quarantine("XML, not JSON", "не JSON"))
    put(o, "invalid_utf8.bin", b'{"webhookType": "MESSAGE_CREATED", "message": {"text": "\xff\xfe"}}',
        quarantine("invalid UTF-8", "не JSON"))
    put(o, "json_array.json", [ok_message("HOSTILE.json_array")], quarantine("an array", "не JSON-объект"))
    put(o, "unknown_type.json", ok_message("HOSTILE.unknown_type", webhookType=XSS["script"] * 20),
        quarantine("an unknown event type (XSS, long)", "неизвестный тип"))
    no_mid = ok_message("x")
    del no_mid["message"]["mid"]
    put(o, "no_mid.json", no_mid, quarantine("no message.mid", "message.mid"))
    put(o, "mid_with_spaces.json", ok_message("a b <script>"), quarantine("a mid with blanks and tags", "message.mid"))
    put(o, "mid_huge.json", ok_message("m" * 5000), quarantine("a 5000-character mid", "message.mid"))
    put(o, "mid_not_prefixed.json", ok_message("x") | {"message": {"text": "x", "mid": "javascript:alert(1)"}},
        quarantine("a mid without the mid: prefix", "mid:"))
    put(o, "user_id_xss.json", ok_message("HOSTILE.user_id_xss", sender={"user_id": "<script>alert(1)</script>"}),
        quarantine("XSS as sender.user_id", "sender.user_id"))
    put(o, "text_number.json", ok_message("HOSTILE.text_number", text=10**4000), quarantine("text a number", "text"))
    put(o, "attachments_object.json", ok_message("HOSTILE.attachments_object") | {"message": {
        "text": "x", "mid": "mid:HOSTILE.attachments_object", "attachments": {"evil": True}}},
        quarantine("attachments an object", "attachments"))
    recipe(o, "huge_body", {"kind": "json_huge_text", "bytes": 1_200_000, "base": "ok"},
           quarantine("a 1.2 MB body", "больше"))
    put(o, "text_lone_surrogate.json", json.dumps(ok_message("HOSTILE.text_lone_surrogate", "\udfff нет интернета")),
        event("a lone surrogate escaped in the text"))
    put(o, "text_nul_controls.json", ok_message("HOSTILE.text_nul_controls", "нет\u0000интернета\u001b]0;title\u0007"),
        event("NUL and a terminal title escape"))
    put(o, "timestamp_huge.json", ok_message("HOSTILE.timestamp_huge", timestamp=10**40),
        event("a timestamp of 41 digits"))
    put(o, "empty_text.json", ok_message("HOSTILE.empty_text", ""), quarantine("an empty text", "no text"))


# --- REST -------------------------------------------------------------------------------------------------


def make_rest() -> None:
    r = "rest"
    base = {"text": COMPLAINT, "contract_number": "12-000001"}
    for key, payload in XSS.items():
        put(r, f"xss_text_{key}.json", base | {"text": COMPLAINT + " " + payload},
            event(f"XSS ({key}) in the text", text_contains=[payload]))
    for field in ("subject", "name", "contract_number", "account_number"):
        put(r, f"xss_{field}.json", base | {field: XSS["quote_break"]}, event(f"XSS in {field}"))
    put(r, "xss_category.json", base | {"category": XSS["img_onerror"]}, event("XSS as the category"))
    put(r, "xss_email.json", base | {"email": '"<script>alert(1)</script>"@example.org'},
        refused("XSS in the e-mail address", 422))
    put(r, "xss_phone.json", base | {"phone": "<script>alert(1)</script>"}, refused("XSS as the phone", 422))
    put(r, "no_token.json", base, refused("no Authorization header", 401, token=None))
    put(r, "wrong_token.json", base, refused("a wrong token", 401, token="not-a-token"))
    put(r, "token_xss.json", base, refused("XSS as the token", 401, token="<script>alert(1)</script>"))
    put(r, "no_idempotency_key.json", base, refused("no Idempotency-Key", 400, key=None))
    put(r, "idempotency_key_xss.json", base, refused("XSS as the Idempotency-Key", 400, key="<svg onload=alert(1)>"))
    put(r, "idempotency_key_huge.json", base, refused("a 10000-character Idempotency-Key", 400, key="k" * 10000))
    put(r, "not_json.bin", b"text=hello&contract_number=12-000001", refused("a form body", 422))
    put(r, "invalid_utf8.bin", b'{"text": "\xff\xfe\xc0\xaf", "contract_number": "12-000001"}',
        refused("invalid UTF-8", 422))
    put(r, "json_array.json", [base], refused("an array", 422))
    put(r, "json_string.json", '"just a string"', refused("a JSON string", 422))
    put(r, "empty_body.bin", b"", refused("an empty body", 422))
    recipe(r, "deep_nesting", {"kind": "json_nested", "depth": 100000, "base": "rest"}, refused("deep nesting", 422))
    recipe(r, "huge_body", {"kind": "json_huge_text", "bytes": 1_000_000, "base": "rest"},
           refused("a 1 MB body", 413))
    put(r, "text_too_long.json", base | {"text": "я" * 20_001}, refused("a text of 20001 characters", 422))
    put(r, "text_huge_number.json", '{"text": ' + "9" * 5000 + ', "contract_number": "12-000001"}',
        refused("text a 5000-digit number", 422))
    put(r, "text_nan.json", '{"text": NaN, "contract_number": "12-000001"}', refused("text NaN", 422))
    put(r, "text_object.json", base | {"text": {"$where": "1"}}, refused("text an object", 422))
    put(r, "extra_field.json", base | {"is_admin": True, "__proto__": {"x": 1}}, refused("unknown fields", 422))
    put(r, "no_identity.json", {"text": COMPLAINT + XSS["script"]}, refused("nobody identifiable", 422))
    put(r, "empty_text.json", base | {"text": "   "}, refused("a blank text", 422))
    put(r, "contract_too_long.json", base | {"contract_number": "1" * 65}, refused("a 65-character contract", 422))
    put(r, "text_lone_surrogate.json", '{"text": "\\ud800 нет интернета", "contract_number": "12-000001"}',
        refused("a lone surrogate escaped in the text: not a valid string", 422))
    put(r, "text_nul_controls.json", base | {"text": "нет\u0000интернета\u001b[31m\u202e"},
        event("NUL, an ANSI escape and a bidi override"))
    put(r, "duplicate_keys.json", '{"text": "first", "text": "' + COMPLAINT + '", "contract_number": "12-000001"}',
        event("a repeated key (the last one wins)", text_contains=["нет интернета"]))
    put(r, "gzip_encoded.bin", b"\x1f\x8b\x08\x00" + b"\x00" * 40, refused("a gzip body (never inflated)", 422,
                                                                          headers={"Content-Encoding": "gzip"}))
    put(r, "text_plain_content_type.json", base, event("JSON sent as text/plain",
                                                       headers={"Content-Type": "text/plain"}))


# --- the phone form ---------------------------------------------------------------------------------------


def form(**fields: str) -> bytes:
    values = {"csrf_token": "__CSRF__", "idempotency_key": "__KEY__"} | fields
    return urllib.parse.urlencode({k: v for k, v in values.items() if v is not None}).encode()


def make_phone() -> None:
    p = "phone"
    ivanov = {"client_id": "__CLIENT_IVANOV__", "caller_phone": "+79161110001"}
    for key, payload in XSS.items():
        put(p, f"xss_text_{key}.form", form(**ivanov, text=COMPLAINT + " " + payload),
            event(f"XSS ({key}) in the complaint text", text_contains=[payload]))
    put(p, "xss_subject.form", form(**ivanov, subject=XSS["quote_break"], text=COMPLAINT), event("XSS in the subject"))
    put(p, "xss_caller_name.form", form(**ivanov, caller_name=XSS["attr_break"] + XSS["script"], text=COMPLAINT),
        event("XSS as the caller's name"))
    put(p, "xss_unknown_caller.form", form(caller_phone="+79269990011", caller_name=XSS["img_onerror"],
                                           subject=XSS["svg_onload"], text=COMPLAINT + XSS["iframe"]),
        event("XSS from an unknown caller", text_contains=[XSS["iframe"]]))
    put(p, "xss_category.form", form(**ivanov, category=XSS["script"], text=COMPLAINT),
        refused("XSS as the category", 422))
    put(p, "xss_caller_phone.form", form(caller_phone="<script>alert(1)</script>", text=COMPLAINT),
        refused("XSS as the caller's phone", 422))
    put(p, "xss_client_id.form", form(client_id="<script>alert(1)</script>", text=COMPLAINT),
        refused("XSS as the client id", 400))
    put(p, "xss_idempotency_key.form", form(**ivanov, idempotency_key="<svg onload=alert(1)>", text=COMPLAINT),
        refused("XSS as the form key", 400))
    put(p, "no_csrf.form", form(**ivanov, csrf_token=None, text=COMPLAINT), refused("no CSRF token", 403))  # type: ignore[arg-type]
    put(p, "wrong_csrf.form", form(**ivanov, csrf_token="forged", text=COMPLAINT), refused("a forged CSRF token", 403))
    put(p, "client_id_huge.form", form(client_id="9" * 30, text=COMPLAINT), refused("a 30-digit client id", 400))
    put(p, "client_id_missing.form", form(client_id="2147483647", text=COMPLAINT), refused("an unknown client", 404))
    put(p, "client_id_superscript.form", form(client_id="²", text=COMPLAINT),
        refused("a superscript two: str.isdigit() takes it, int() does not", 400, reason="Некорректный клиент"))
    put(p, "client_id_arabic_indic.form", form(client_id="١٢", text=COMPLAINT),
        refused("Arabic-Indic digits: not a client id of the form", 400, reason="Некорректный клиент"))
    put(p, "refused_client.form", form(client_id="__CLIENT_ORLOVA__", text=COMPLAINT + XSS["script"]),
        refused("an apartment client without Комфорт", 403))
    put(p, "refused_by_phone.form", form(caller_phone="+7 916 111-00-04", text=COMPLAINT),
        refused("the same client hidden behind the unknown-caller form", 403))
    put(p, "empty_text.form", form(**ivanov, text="   "), refused("a blank text", 422))
    recipe(p, "text_too_long", {"kind": "form_long_text", "chars": 20_001},
           refused("a text of 20001 characters", 422))
    recipe(p, "text_over_form_cap", {"kind": "form_long_text", "chars": 25_001},
           refused("a text over the form cap", 422))
    put(p, "invalid_utf8.form", b"csrf_token=__CSRF__&idempotency_key=__KEY__&client_id=__CLIENT_IVANOV__"
        b"&text=%FF%FE%C0%AF+%D0%BD%D0%B5%D1%82+%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%BD%D0%B5%D1%82%D0%B0",
        event("invalid UTF-8 percent-escapes in the text", text_contains=["нет интернета"]))
    put(p, "nul_controls.form", form(**ivanov, subject="Тема\r\nBcc: x@example.org", text="нет\x00интернета\x1b[2J"),
        event("NUL, CRLF and an ANSI escape", no_newline=["subject"]))
    put(p, "repeated_fields.form", form(**ivanov, text=COMPLAINT) + b"&text=%3Cscript%3E&client_id=1",
        event("fields repeated with other values"))
    put(p, "json_body.bin", json.dumps({"text": COMPLAINT}).encode(),
        refused("JSON instead of a form", 403, content_type="application/json"))


# --- CSV import -------------------------------------------------------------------------------------------

CSV_HEADER = "contract_number;name;segment;building_type;packages;address;phones;emails;manager_login"


def csv_row(contract: str, name: str, address: str = "г. Москва", emails: str = "", packages: str = "",
            phones: str = "") -> str:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ';"\n') else value
    return ";".join(cell(v) for v in (contract, name, "individual", "private", packages, address, phones, emails,
                                      "m.petrova"))


def imported(note: str, stored: dict[str, str], errors: list[int] | None = None, **more: Any) -> dict[str, Any]:
    return {"expect": "import", "note": note, "stored": stored, "error_lines": errors or [],
            "exit_code": 1 if errors else 0, **more}


def make_csv() -> None:
    c = "csv"
    for i, key in enumerate(("script", "img_onerror", "quote_break", "attr_break", "svg_script", "textarea_break")):
        contract = f"77-9{i:05d}"
        put(c, f"xss_name_{key}.csv", CSV_HEADER + "\n" + csv_row(contract, XSS[key]) + "\n",
            imported(f"XSS ({key}) as the client's name: stored as text", {contract: XSS[key]}))
    put(c, "xss_address_packages.csv", CSV_HEADER + "\n" + csv_row("77-910001", "Петров Пётр", address=XSS["script"],
                                                                   packages=XSS["img_onerror"]) + "\n",
        imported("XSS in the address and the packages", {"77-910001": "Петров Пётр"}))
    put(c, "xss_contract_number.csv", CSV_HEADER + "\n" + csv_row("<script>alert(1)</script>", "Сидоров") + "\n",
        imported("XSS as the contract number: stored as text", {"<script>alert(1)</script>": "Сидоров"}))
    put(c, "xss_email.csv", CSV_HEADER + "\n" + csv_row("77-910002", "Козлов", emails="<script>@example.org") + "\n",
        imported("XSS as the e-mail", {}, [2]))
    put(c, "xss_phone.csv", CSV_HEADER + "\n" + csv_row("77-910003", "Орлов", phones="javascript:alert(1)") + "\n",
        imported("XSS as the phone", {}, [2]))
    put(c, "formula_injection.csv", CSV_HEADER + "\n" + csv_row("77-910004", "=HYPERLINK(\"http://evil\",\"x\")") + "\n"
        + csv_row("77-910005", "=cmd|' /C calc'!A0") + "\n" + csv_row("77-910006", "@SUM(1+1)*cmd|' /C calc'!A0")
        + "\n", imported("spreadsheet formulas as names: stored as text", {
            "77-910004": "=HYPERLINK(\"http://evil\",\"x\")", "77-910005": "=cmd|' /C calc'!A0",
            "77-910006": "@SUM(1+1)*cmd|' /C calc'!A0"}))
    put(c, "unterminated_quote.csv", CSV_HEADER + "\n" + csv_row("77-910007", "Иванов") + "\n"
        + '77-910008;"Петров;individual;private;;;;;\n' + csv_row("77-910009", "Сидорова") + "\n",
        imported("an unterminated quote costs its own row", {"77-910007": "Иванов", "77-910009": "Сидорова"}, [3]))
    put(c, "nul_byte.csv", (CSV_HEADER + "\n" + csv_row("77-910010", "Пет\x00ров") + "\n"
                            + csv_row("77-910011", "Смирнов") + "\n").encode(),
        imported("a NUL byte in a name", {"77-910011": "Смирнов"}, [2]))
    put(c, "binary_random.csv", bytes(range(256)) * 20, imported("random bytes", {}, [1]))
    put(c, "xlsx_renamed.csv", b"PK\x03\x04\x14\x00\x06\x00" + bytes(300), imported("an .xlsx workbook", {}, [1]))
    put(c, "utf16.csv", (CSV_HEADER + "\n" + csv_row("77-910012", "Иванов") + "\n").encode("utf-16"),
        imported("UTF-16 with a BOM", {}, [1]))
    put(c, "cp1251_with_bom_junk.csv", (CSV_HEADER + "\n" + csv_row("77-910013", "Кузнецов") + "\n").encode("cp1251"),
        imported("Windows-1251", {"77-910013": "Кузнецов"}))
    put(c, "crlf_in_quoted_name.csv", CSV_HEADER + "\n" + csv_row("77-910014", "Иван\r\nBcc: x") + "\n",
        imported("a CRLF inside a quoted name: one line break kept in the name", {"77-910014": "Иван\nBcc: x"}))
    put(c, "header_only.csv", CSV_HEADER + "\n", imported("only a header", {}))
    put(c, "empty.csv", b"", imported("an empty file", {}, [1]))
    put(c, "missing_columns.csv", "name;segment\n" + "Иванов;individual\n", imported("no contract column", {}, [1]))
    recipe(c, "huge_cell", {"kind": "csv_huge_cell", "bytes": 2_000_000},
           imported("a 2 MB name", {}, [2], stored_absent=["77-910015"]))
    recipe(c, "many_columns", {"kind": "csv_many_columns", "columns": 300_000},
           imported("300,000 unknown columns (the header checked in one pass, the message names the first 20): "
                    "the file is refused", {}, [1], stored_absent=["77-910016"]))


# --- scans ------------------------------------------------------------------------------------------------


def make_scan() -> None:
    s = "scan"
    recipe(s, "bomb_png", {"kind": "png_bomb", "side": 30000}, refused("a 30000×30000 PNG", 422,
                                                                       reason="изображение слишком большое"))
    recipe(s, "bomb_tiff_header", {"kind": "tiff_huge_header", "side": 200000},
           refused("a TIFF declaring 200000×200000 pixels", 422, reason="слишком большое"))
    recipe(s, "bomb_zip_as_pdf", {"kind": "zip_bomb", "uncompressed_mb": 200},
           refused("a zip of 200 MB of zeros named .pdf", 422, reason="неизвестный формат", filename="scan.pdf"))
    recipe(s, "bomb_pdf_pages", {"kind": "pdf_many_pages", "pages": 5000},
           refused("a PDF of 5000 pages", 422, reason="слишком много страниц"))
    recipe(s, "bomb_pdf_huge_page", {"kind": "pdf_huge_page", "points": 14400},
           refused("a PDF page of 200×200 inches", 422, reason="слишком большое"))
    recipe(s, "corrupt_pdf", {"kind": "pdf_truncated"}, refused("a PDF cut off", 422, reason="PDF повреждён"))
    put(s, "empty.pdf", b"", refused("an empty file", 422, reason="пустой файл"))
    put(s, "svg_script.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script>'
        b"</svg>", refused("an SVG with a script", 422, reason="неизвестный формат"))
    put(s, "html_as_pdf.pdf", b"<html><script>alert(1)</script></html>",
        refused("HTML named .pdf", 422, reason="неизвестный формат"))
    put(s, "pdf_header_only.pdf", b"%PDF-1.7\n%%EOF\n", refused("a PDF header and nothing else", 422,
                                                                 reason="PDF повреждён"))
    put(s, "png_truncated.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        refused("a PNG cut off in its header", 422, reason="изображение повреждено"))
    put(s, "no_file.bin", b"", refused("no file in the form", 422, reason="Выберите файл", no_file=True))
    put(s, "xss_received_date.bin", b"", refused("a script as the received date", 422, reason="Дата получения",
                                                 received_date="<script>alert(1)</script>", no_file=True))
    put(s, "xss_refused_filename.docx", b"PK\x03\x04" + bytes(100),
        refused("a docx named with a script: refused, the name shown escaped", 422, reason="неизвестный формат",
                filename="<svg onload=alert(1)>.docx", envelope_sender=XSS["script"]))
    recipe(s, "xss_envelope_sender_pdf", {"kind": "pdf_text", "lines": ["Договор № 12-000004", COMPLAINT, "конверт"]},
           event("a text-layer PDF whose envelope sender breaks out of a textarea",
                 envelope_sender=XSS["textarea_break"] + XSS["iframe"]))
    put(s, "no_csrf.bin", b"%PDF-1.4", refused("no CSRF token", 403, csrf=False))
    recipe(s, "xss_text_layer_pdf", {"kind": "pdf_text", "lines": [
        "Договор № 12-000001", XSS["script"], XSS["img_onerror"], XSS["quote_break"], COMPLAINT]},
        event("a text-layer PDF whose text is XSS", text_contains=["<script>"],
              filename='"><img src=x onerror=alert(1)>.pdf', envelope_sender=XSS["svg_onload"]))
    recipe(s, "xss_filename_pdf", {"kind": "pdf_text", "lines": ["Договор № 12-000002", COMPLAINT, "имя файла"]},
           event("a text-layer PDF with a script as its file name", filename="<script>alert(1)</script>.pdf",
                 envelope_sender=XSS["attr_break"]))
    recipe(s, "xss_path_filename_pdf", {"kind": "pdf_text", "lines": ["Договор № 12-000003", COMPLAINT, "путь"]},
           event("a file name with a path, NUL and a javascript: URL",
                 filename="../../../etc/javascript:alert(1)\\..\\x.pdf", channel="fax"))
    recipe(s, "pdf_javascript_action", {"kind": "pdf_js_action"},
           event("a PDF with an OpenAction running JavaScript and a text layer"))


def main() -> None:
    for entry in ENTRIES:
        shutil.rmtree(HERE / entry, ignore_errors=True)
        (HERE / entry).mkdir()
    make_email()
    make_vk()
    make_ok()
    make_telegram()
    make_rest()
    make_phone()
    make_csv()
    make_scan()
    for entry, items in manifests.items():
        (HERE / entry / "MANIFEST.json").write_text(json.dumps(dict(sorted(items.items())), ensure_ascii=False,
                                                               indent=1) + "\n", encoding="utf-8")
    print({entry: len(items) for entry, items in manifests.items()}, sum(len(i) for i in manifests.values()))


if __name__ == "__main__":
    main()
