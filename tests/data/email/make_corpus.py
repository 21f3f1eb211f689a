"""Regenerate the email corpus (*.eml, byte-exact) and expected.json: `uv run python tests/data/email/make_corpus.py`.

The .eml files are committed; this script only documents how their bytes were made (real charsets,
CRLF where the mailer writes CRLF). Caps assumed by expected.json: see tests/normalizer/test_email_corpus.py.
"""

from __future__ import annotations

import base64
import json
import quopri
import zlib
from email.header import Header
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
OUR = "claims.example.ru"
OUT_ID = f"<outbox-17.C-2026-000123@{OUR}>"
BOUNCED_ID = f"<outbox-17.C-2026-000042@{OUR}>"
CORPUS: dict[str, tuple[bytes, dict[str, Any]]] = {}


def b64(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))


def qp(data: bytes) -> str:
    return quopri.encodestring(data).decode("ascii")


def ew(text: str, charset: str = "utf-8", enc: str = "B") -> str:
    return Header(text, charset).encode() if enc == "B" else _q(text, charset)


def _q(text: str, charset: str) -> str:
    raw = text.encode(charset)
    body = "".join(
        "_" if b == 32 else chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else f"={b:02X}" for b in raw
    )
    return f"=?{charset}?Q?{body}?="


def mail(name: str, head: str, body: bytes | str, expected: dict[str, Any], *, crlf: bool = False,
         charset: str = "utf-8", head_charset: str | None = None) -> None:
    """Headers are ASCII (or 8-bit in `head_charset`); a str body is encoded in `charset`."""
    own_id = "<" + name.removesuffix(".eml") + "@client.example.com>"
    head = head.replace("<SELF>", own_id)
    expected = json.loads(json.dumps(expected).replace("<SELF>", own_id))
    head_bytes = head.strip("\n").encode(head_charset or "ascii")
    body_bytes = body.encode(charset) if isinstance(body, str) else body
    data = head_bytes + b"\n\n" + body_bytes
    if crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    CORPUS[name] = (data, expected)


def common(subject: str, frm: str = "=?utf-8?b?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan.petrov@example.com>",
           msgid: str | None = "<SELF>",
           date: str | None = "Mon, 23 Nov 2026 10:00:00 +0300", extra: str = "", raw: bool = False) -> str:
    """Non-ASCII subject and display name become RFC 2047 words unless `raw` (8-bit headers)."""
    if not raw and not subject.isascii():
        subject = ew(subject)
    if not raw and not frm.isascii():
        name, _, rest = frm.partition(" <")
        frm = f"{ew(name)} <{rest}"
    lines = [f"From: {frm}", f"To: claims@{OUR}", f"Subject: {subject}"]
    if date:
        lines.append(f"Date: {date}")
    if msgid:
        lines.append(f"Message-ID: {msgid}")
    lines.append("MIME-Version: 1.0")
    return "\n".join(lines) + ("\n" + extra.strip("\n") if extra else "")


COMPLAINT = (
    "Здравствуйте!\n\nУже третий день нет интернета, роутер мигает красным. Прошу устранить неисправность\n"
    "и сделать перерасчёт абонентской платы.\n\nС уважением, Иван Петров\n"
)
SENDER = {"emails": ["ivan.petrov@example.com"], "display_name": "Иван Петров"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + zlib.compress(b"\x00" * 8)
TIFF = b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50 + b"\xff\xd9"

# --- charsets ---------------------------------------------------------------------------------
mail("koi8r_declared.eml", common(ew("Нет интернета", "koi8-r"), frm=f"{ew('Иван Петров', 'koi8-r', 'Q')} "
     "<ivan.petrov@example.com>", extra="Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit"),
     COMPLAINT, {"subject": "Нет интернета", "text_contains": ["третий день нет интернета", "перерасчёт"], **SENDER,
                 "reply_to": {"address": "ivan.petrov@example.com", "message_id": "<SELF>"},
                 "content_id": "<SELF>"}, charset="koi8-r")
mail("cp1251_declared_qp.eml", common(ew("Двойное списание", "windows-1251", "Q"), extra="Content-Type: text/plain; "
     "charset=\"windows-1251\"\nContent-Transfer-Encoding: quoted-printable"),
     qp("Здравствуйте! С меня дважды списали абонентскую плату за ноябрь. Верните деньги.\n".encode("cp1251")),
     {"subject": "Двойное списание", "text_contains": ["дважды списали абонентскую плату", "Верните деньги"],
      **SENDER}, crlf=True)
mail("cp1251_undeclared_8bit.eml", common("Не работает телефон", extra="Content-Type: text/plain\n"
     "Content-Transfer-Encoding: 8bit", raw=True),
     "Добрый день. Домашний телефон не работает с понедельника, в трубке тишина.\n",
     {"subject": "Не работает телефон", "text_contains": ["в трубке тишина"]}, charset="cp1251", head_charset="cp1251")
mail("koi8r_undeclared_8bit.eml", common("no charset", extra="Content-Transfer-Encoding: 8bit"),
     "Добрый день. Мастер не пришёл на подключение, хотя заявка была на сегодня.\n",
     {"subject": "no charset", "text_contains": ["Мастер не пришёл на подключение"]}, charset="koi8-r")
mail("mislabelled_koi8_is_cp1251.eml", common(ew("Скорость", "koi8-r"), extra="Content-Type: text/plain; "
     "charset=koi8-r\nContent-Transfer-Encoding: 8bit"),
     "Скорость интернета в десять раз ниже заявленной по тарифу, прошу разобраться.\n",
     {"subject": "Скорость", "text_contains": ["Скорость интернета в десять раз ниже"]}, charset="cp1251")
mail("unknown_label_win1251.eml", common("=?win-1251?B?" + base64.b64encode("Жалоба на оператора".encode("cp1251"))
     .decode() + "?=", extra="Content-Type: text/plain; charset=win-1251\nContent-Transfer-Encoding: 8bit"),
     "Оператор колл-центра грубо разговаривал и бросил трубку.\n",
     {"subject": "Жалоба на оператора", "text_contains": ["грубо разговаривал"]}, charset="cp1251", crlf=True)
mail("unknown_label_x_unknown.eml", common("x-unknown", extra="Content-Type: text/plain; charset=x-unknown\n"
     "Content-Transfer-Encoding: 8bit"), "Не приходят СМС с кодом подтверждения.\n",
     {"subject": "x-unknown", "text_contains": ["Не приходят СМС"]})
split = "Проблема с интернетом".encode()
mail("utf8_base64_split_words.eml", common("=?utf-8?B?" + base64.b64encode(split[:7]).decode() + "?=\n =?utf-8?B?"
     + base64.b64encode(split[7:]).decode() + "?=", extra="Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: base64"), b64(COMPLAINT.encode()) + "\n",
     {"subject": "Проблема с интернетом", "text_contains": ["роутер мигает красным"], **SENDER})
mail("utf8_qp_soft_breaks.eml", common(ew("Роутер ", "utf-8", "Q") + "\n " + ew("не работает", "utf-8", "Q"),
     extra="Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable"),
     qp(("Роутер перестал раздавать Wi-Fi после обновления прошивки, перезагрузка не помогает, "
         "индикатор WAN не горит уже двое суток.\n").encode()),
     {"subject": "Роутер не работает", "text_contains": ["перезагрузка не помогает, индикатор WAN не горит"]})
mail("raw_utf8_headers.eml", common("Жалоба на качество связи", frm="Мария Сидорова <maria@example.com>",
     extra="Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit", raw=True),
     "Постоянно пропадает связь в квартире.\n",
     {"subject": "Жалоба на качество связи", "emails": ["maria@example.com"], "display_name": "Мария Сидорова",
      "text_contains": ["пропадает связь"]}, head_charset="utf-8")
mail("raw_cp1251_from_name.eml", common("name in cp1251", frm="Ольга Смирнова <olga@example.com>",
     extra="Content-Type: text/plain; charset=windows-1251", raw=True), "Прошу перезвонить мне по поводу счёта.\n",
     {"emails": ["olga@example.com"], "display_name": "Ольга Смирнова", "text_contains": ["перезвонить"]},
     charset="cp1251", head_charset="cp1251")

# --- attachments and structure ------------------------------------------------------------------
mail("rfc2231_filenames.eml", common("Документы", extra="Content-Type: multipart/mixed; boundary=\"b1\""),
     "--b1\nContent-Type: text/plain; charset=utf-8\n\nПрикладываю договор и фото роутера.\n"
     "--b1\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment;\n"
     " filename*=utf-8''%D0%94%D0%BE%D0%B3%D0%BE%D0%B2%D0%BE%D1%80%20%E2%84%96%2012.pdf\n\n" + b64(PDF) + "\n"
     "--b1\nContent-Type: image/jpeg\nContent-Transfer-Encoding: base64\nContent-Disposition: attachment;\n"
     " filename*0*=utf-8''%D1%84%D0%BE%D1%82%D0%BE%20;\n filename*1*=%D1%80%D0%BE%D1%83%D1%82%D0%B5%D1%80%D0%B0.jpg"
     "\n\n" + b64(JPEG) + "\n--b1--\n",
     {"text_contains": ["Прикладываю договор"], "attachments": [
         {"name": "Договор № 12.pdf", "content_type": "application/pdf", "size": len(PDF)},
         {"name": "фото роутера.jpg", "content_type": "image/jpeg", "size": len(JPEG)}]})
mail("rfc2047_filename_outlook.eml", common(ew("Акт", "windows-1251"), extra="Content-Type: multipart/mixed; "
     "boundary=\"----=_NextPart_000_0001\""),
     b"------=_NextPart_000_0001\nContent-Type: text/plain; charset=\"windows-1251\"\nContent-Transfer-Encoding: "
     b"8bit\n\n" + "Акт во вложении.\n".encode("cp1251") +
     ("------=_NextPart_000_0001\nContent-Type: application/pdf; name=\"" + ew("Акт сверки.pdf") + "\"\n"
      "Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename=\"" + ew("Акт сверки.pdf")
      + "\"\n\n" + b64(PDF) + "\n------=_NextPart_000_0001--\n").encode(),
     {"subject": "Акт", "text_contains": ["Акт во вложении"], "attachments": [
         {"name": "Акт сверки.pdf", "content_type": "application/pdf", "size": len(PDF)}]}, crlf=True)
mail("mixed_cyrillic_attachments.eml", common("Счёт", extra="Content-Type: multipart/mixed; boundary=\"mix\""),
     "--mix\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
     "Счёт за ноябрь выставлен неверно, скан и скриншот прилагаю.\n"
     "--mix\nContent-Type: image/png; name=\"скриншот.png\"\n"
     "Content-Disposition: attachment; filename=\"скриншот.png\"\n"
     "Content-Transfer-Encoding: base64\n\n" + b64(PNG) + "\n"
     "--mix\nContent-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\n"
     "Content-Disposition: attachment; filename=\"" + ew("Претензия.docx") + "\"\nContent-Transfer-Encoding: base64\n\n"
     + b64(b"PK\x03\x04docx") + "\n--mix--\n",
     {"text_contains": ["выставлен неверно"], "attachments": [
         {"name": "скриншот.png", "content_type": "image/png", "size": len(PNG)},
         {"name": "Претензия.docx", "content_type":
          "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "size": 8}]},
     head_charset="utf-8")
HTML_BODY = (
    "<html><head><meta charset=\"windows-1251\"><style>p {color: red}</style><script>alert('x')</script></head>"
    "<body><p>Здравствуйте!</p><p>Третий день <b>нет&nbsp;интернета</b> &amp; телефона.</p>"
    "<table><tr><td>Договор</td><td>договор № 12-345678</td></tr></table><p>Прошу устранить.</p></body></html>\n"
)
mail("html_only_cp1251.eml", common("HTML", extra="Content-Type: text/html; charset=windows-1251\n"
     "Content-Transfer-Encoding: 8bit"), HTML_BODY,
     {"text_contains": ["нет интернета & телефона", "Прошу устранить"], "text_not_contains": ["alert", "color",
      "<p>"], "contract_numbers": ["12-345678"]}, charset="cp1251")
mail("html_only_gmail_quote.eml", common("Re: Нет интернета", extra="Content-Type: text/html; charset=UTF-8\n"
     "Content-Transfer-Encoding: quoted-printable\nIn-Reply-To: " + OUT_ID),
     qp("<div dir=\"ltr\">Всё ещё не работает, мастер так и не пришёл.</div><br><div class=\"gmail_quote\">"
        "<div dir=\"ltr\" class=\"gmail_attr\">пн, 23 нояб. 2026 г. в 10:00, Служба претензий &lt;claims@claims."
        "example.ru&gt;:<br></div><blockquote class=\"gmail_quote\" style=\"margin:0px 0px 0px 0.8ex\">"
        "Ваше обращение C-2026-000123 зарегистрировано.<br>Старый текст из письма.</blockquote></div>\n".encode()),
     {"text_contains": ["мастер так и не пришёл"], "text_not_contains": ["Старый текст", "gmail"],
      "thread_refs": [OUT_ID]})
mail("alternative_plain_wins.eml", common("alt", extra="Content-Type: multipart/alternative; boundary=\"alt\""),
     "--alt\nContent-Type: text/plain; charset=utf-8\n\nНет интернета в квартире 12.\n"
     "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Нет интернета в квартире 12. HTMLVERSION</p>\n--alt--\n",
     {"text_contains": ["Нет интернета в квартире 12"], "text_not_contains": ["HTMLVERSION"], "attachments": []})
mail("alternative_empty_plain.eml", common("alt", extra="Content-Type: multipart/alternative; boundary=\"alt\""),
     "--alt\nContent-Type: text/plain; charset=utf-8\n\n \n"
     "--alt\nContent-Type: text/html; charset=utf-8\n\n<p>Текст только в HTML.</p>\n--alt--\n",
     {"text_contains": ["Текст только в HTML"], "attachments": []})
mail("inline_image_related.eml", common("inline", extra="Content-Type: multipart/alternative; boundary=\"a\""),
     "--a\nContent-Type: text/plain; charset=utf-8\n\nСкриншот ошибки в личном кабинете ниже.\n"
     "--a\nContent-Type: multipart/related; boundary=\"r\"\n\n"
     "--r\nContent-Type: text/html; charset=utf-8\n\n<p>Скриншот ошибки в личном кабинете ниже.</p>"
     "<img src=\"cid:img1@example.com\">\n"
     "--r\nContent-Type: image/png\nContent-ID: <img1@example.com>\nContent-Disposition: inline\n"
     "Content-Transfer-Encoding: base64\n\n" + b64(PNG) + "\n--r--\n--a--\n",
     {"text_contains": ["Скриншот ошибки"], "attachments": [
         {"name": "attachment-1.png", "content_type": "image/png", "size": len(PNG)}]})
mail("attachments_only.eml", common("", extra="Content-Type: multipart/mixed; boundary=\"m\"").replace(
     "Subject: \n", ""), "--m\nContent-Type: text/plain; charset=utf-8\n\n\n"
     "--m\nContent-Type: application/pdf; name=\"scan.pdf\"\nContent-Disposition: attachment; filename=\"scan.pdf\"\n"
     "Content-Transfer-Encoding: base64\n\n" + b64(PDF) + "\n--m--\n",
     {"text": "(без текста, вложений: 1)", "attachments": [
         {"name": "scan.pdf", "content_type": "application/pdf", "size": len(PDF)}]})
mail("subject_only.eml", common("Нет интернета с утра", extra="Content-Type: text/plain; charset=utf-8"), "",
     {"text": "Нет интернета с утра"})

# --- quoting, forwarding, signatures ---------------------------------------------------------------
mail("outlook_reply_ru.eml", common("RE: [C-2026-000123] Нет интернета", extra="Content-Type: text/plain; "
     "charset=\"koi8-r\"\nContent-Transfer-Encoding: 8bit\nIn-Reply-To: " + OUT_ID + "\nReferences: " + OUT_ID
     + "\nX-Mailer: Microsoft Outlook 16.0\nThread-Index: AdlR"),
     "Интернет так и не появился.\n\nОт: Служба по работе с претензиями [mailto:claims@claims.example.ru]\n"
     "Отправлено: 23 ноября 2026 г. 10:00\nКому: Иван Петров\nТема: [C-2026-000123] Нет интернета\n\n"
     "Ваше обращение зарегистрировано. ЦИТАТА\n",
     {"text": "Интернет так и не появился.", "thread_refs": ["C-2026-000123", OUT_ID],
      "reply_to": {"address": "ivan.petrov@example.com", "message_id": "<SELF>",
                   "references": [OUT_ID, "<SELF>"]}},
     charset="koi8-r", crlf=True)
mail("outlook_reply_en.eml", common("RE: complaint", extra="Content-Type: text/plain; charset=us-ascii"),
     "Still no connection at my flat.\n\n-----Original Message-----\nFrom: Claims <claims@claims.example.ru>\n"
     "Sent: Monday, November 23, 2026 10:00 AM\nTo: Ivan Petrov <ivan.petrov@example.com>\nSubject: complaint\n\n"
     "QUOTED history\n", {"text": "Still no connection at my flat.", "language": "en"}, crlf=True)
mail("outlook_html_reply.eml", common("RE: Счёт", extra="Content-Type: text/html; charset=utf-8"),
     "<html><body><div class=\"WordSection1\"><p class=\"MsoNormal\">Перерасчёт так и не сделали.</p>"
     "<div style=\"border:none;border-top:solid #E1E1E1 1.0pt\"><p class=\"MsoNormal\"><b>From:</b> Claims &lt;"
     "claims@claims.example.ru&gt;<br><b>Sent:</b> Monday, November 23, 2026 10:00 AM<br><b>To:</b> Ivan<br>"
     "<b>Subject:</b> Счёт</p></div><p>ИСТОРИЯ переписки</p></div></body></html>\n",
     {"text": "Перерасчёт так и не сделали.", "text_not_contains": ["ИСТОРИЯ"]}, crlf=True)
mail("gmail_reply_ru.eml", common("Re: [C-2026-000123] Нет интернета", extra="Content-Type: text/plain; "
     "charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\nIn-Reply-To: " + OUT_ID + "\nReferences: "
     "<0.client@example.com> " + OUT_ID),
     qp("Добрый день, проблема повторилась сегодня утром.\n\nпн, 23 нояб. 2026 г. в 10:00, Служба по работе с "
        "претензиями <claims@claims.example.ru>:\n\n> Ваше обращение C-2026-000123 зарегистрировано.\n>\n"
        "> Старая цитата\n".encode()),
     {"text": "Добрый день, проблема повторилась сегодня утром.", "subject": "Re: [C-2026-000123] Нет интернета",
      "thread_refs": [OUT_ID, "<0.client@example.com>", "C-2026-000123"],
      "reply_to": {"address": "ivan.petrov@example.com", "message_id": "<SELF>",
                   "references": ["<0.client@example.com>", OUT_ID, "<SELF>"]}})
mail("gmail_reply_en_wrapped.eml", common("Re: your complaint", extra="Content-Type: text/plain; charset=UTF-8"),
     "The speed is still 2 Mbit/s instead of 100.\n\nOn Mon, Nov 23, 2026 at 10:00 AM Claims Department <\n"
     "claims@claims.example.ru> wrote:\n\n> Dear client,\n> OLD QUOTE\n",
     {"text": "The speed is still 2 Mbit/s instead of 100.", "language": "en"})
mail("thunderbird_reply_signature.eml", common("Re: Нет интернета", extra="Content-Type: text/plain; charset=UTF-8;"
     " format=flowed\nContent-Transfer-Encoding: 8bit\nUser-Agent: Mozilla Thunderbird"),
     "23.11.2026 10:00, Служба по работе с претензиями пишет:\n> Уточните, пожалуйста, адрес.\n> ЦИТАТА\n\n"
     "Адрес: ул. Ленина, д. 1, кв. 12.\n\n-- \nИван Петров\nтел. +7 912 345-67-89\nдоговор № 12-345678\n",
     {"text": "Адрес: ул. Ленина, д. 1, кв. 12.", "phones": ["+79123456789"], "contract_numbers": ["12-345678"],
      "text_not_contains": ["ЦИТАТА", "тел."]})
mail("interleaved_reply.eml", common("Re: вопросы", extra="Content-Type: text/plain; charset=UTF-8"),
     "> Когда пропал интернет?\nВчера вечером.\n\n> Горит ли индикатор?\nНет, не горит.\n",
     {"text_contains": ["Вчера вечером.", "Нет, не горит."], "text_not_contains": ["Когда пропал"]})
mail("apple_mail_reply.eml", common("Re: Заявка", extra="Content-Type: text/plain; charset=utf-8\n"
     "Content-Transfer-Encoding: quoted-printable\nX-Mailer: iPhone Mail (20A362)"),
     qp("Спасибо, жду мастера завтра.\n\nОтправлено с iPhone\n\n> 23 нояб. 2026 г., в 10:00, Служба по работе с "
        "претензиями <claims@claims.example.ru> написал(а):\n>\n> ЦИТАТА\n".encode()),
     {"text": "Спасибо, жду мастера завтра."})
mail("apple_mail_en_sent_from.eml", common("Re: ticket", extra="Content-Type: text/plain; charset=us-ascii"),
     "Thanks, the technician fixed it.\n\nSent from my iPhone\n\nOn 23 Nov 2026, at 10:00, Claims "
     "<claims@claims.example.ru> wrote:\n\n> OLD\n", {"text": "Thanks, the technician fixed it.", "language": "en"})
mail("mailru_reply.eml", common("Re: Нет связи", extra="Content-Type: text/html; charset=utf-8"),
     "<div>Связь так и не восстановили.</div><div>&nbsp;</div><div>Понедельник, 23 ноября 2026, 10:00 +03:00 от "
     "Служба &lt;claims@claims.example.ru&gt;:<br><blockquote style=\"border-left:1px solid #0857A6\">"
     "<div>ЦИТАТА</div></blockquote></div>\n",
     {"text": "Связь так и не восстановили."})
mail("forwarded_inline.eml", common("Fwd: Жалоба", extra="Content-Type: text/plain; charset=UTF-8"),
     "Пересылаю жалобу мамы, она не может написать сама.\n\n-- \nИван\n\n"
     "---------- Forwarded message ---------\nFrom: Анна Петрова <anna@example.com>\nDate: Sun, 22 Nov 2026\n"
     "Subject: Жалоба\nTo: Иван <ivan.petrov@example.com>\n\nУ меня не работает телефон, договор № 12-345678.\n",
     {"text_contains": ["Пересылаю жалобу мамы", "Forwarded message", "У меня не работает телефон"],
      "contract_numbers": ["12-345678"], **SENDER})
mail("forwarded_outlook_ru.eml", common("Пересылаемое сообщение", extra="Content-Type: text/plain; "
     "charset=windows-1251"),
     "Коллеги, посмотрите обращение клиента.\n\n-------- Пересылаемое сообщение --------\nОт: Анна Петрова "
     "<anna@example.com>\nОтправлено: 22 ноября 2026 г.\nКому: Иван\nТема: Жалоба\n\nСчёт выставлен дважды.\n",
     {"text_contains": ["посмотрите обращение", "Счёт выставлен дважды"]}, charset="cp1251")
INNER = ("From: Anna <anna@example.com>\nTo: ivan.petrov@example.com\nSubject: =?utf-8?B?"
         + base64.b64encode("Жалоба на скорость".encode()).decode() + "?=\nMessage-ID: <inner.1@example.com>\n"
         "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
         "Скорость 1 Мбит/с вместо 50, прошу перерасчёт.\n")
mail("forwarded_as_attachment.eml", common("Fwd: Жалоба на скорость", extra="Content-Type: multipart/mixed; "
     "boundary=\"f\""), "--f\nContent-Type: text/plain; charset=utf-8\n\nСм. вложенное письмо.\n"
     "--f\nContent-Type: message/rfc822\nContent-Disposition: attachment\n\n" + INNER + "--f--\n",
     {"text_contains": ["См. вложенное письмо", "Пересланное сообщение", "Жалоба на скорость",
                        "Скорость 1 Мбит/с вместо 50"], "attachments": [], "thread_refs": []},
     head_charset="utf-8")

# --- robots ---------------------------------------------------------------------------------------
ROBOT = {"auto_generated": True, "reply_to": None}
mail("autoreply_auto_submitted.eml", common(ew("Автоответ: Re: [C-2026-000123] Нет интернета"), extra=
     "Auto-Submitted: auto-replied\nIn-Reply-To: " + OUT_ID + "\nContent-Type: text/plain; charset=utf-8"),
     "Я в отпуске до 01.12.2026, отвечу после возвращения.\n",
     {**ROBOT, "auto_kind": "auto_reply", "thread_refs": [OUT_ID, "C-2026-000123"], "text_contains": ["Я в отпуске"]})
mail("autoreply_x_autoreply_yandex.eml", common("Re: Нет интернета", extra="X-Autoreply: yes\nX-Yandex-Forward: 1"
     "\nContent-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: 8bit"),
     "Я в отпуске, по срочным вопросам звоните коллеге.\n",
     {**ROBOT, "auto_kind": "auto_reply", "text_contains": ["Я в отпуске"]}, charset="koi8-r")
mail("autoreply_exchange_oof.eml", common(ew("Автоматический ответ: Нет интернета"), extra=
     "X-Auto-Response-Suppress: All\nX-MS-Exchange-Inbox-Rules-Loop: ivan.petrov@example.com\n"
     "Content-Type: text/plain; charset=utf-8"), "Меня нет в офисе до понедельника.\n",
     {**ROBOT, "auto_kind": "auto_reply"}, crlf=True)
mail("autoreply_subject_only.eml", common("Out of Office: Re: [C-2026-000123]", extra="Content-Type: text/plain"),
     "I am out of office until December 1st.\n", {**ROBOT, "auto_kind": "auto_reply"})
mail("auto_generated_notification.eml", common("Уведомление", frm="Портал <noreply@portal.example.com>", extra=
     "Auto-Submitted: auto-generated\nContent-Type: text/plain; charset=utf-8"), "Ваш пароль изменён.\n",
     {**ROBOT, "auto_kind": "auto_generated", "emails": ["noreply@portal.example.com"]})
DSN_TEXT = ("This is the mail system at host mx.example.com.\n\nI'm sorry to have to inform you that your message "
            "could not be delivered to one or more recipients.\n\n<nobody@example.com>: host mx.example.com said: "
            "550 5.1.1 User unknown\n")
mail("bounce_dsn_rfc822.eml", "Return-Path: <>\nFrom: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
     f"To: claims@{OUR}\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 23 Nov 2026 10:01:00 +0300\n"
     "Message-ID: <20261123070100.ABC@mx.example.com>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
     "Content-Type: multipart/report; report-type=delivery-status; boundary=\"dsn\"",
     "--dsn\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n" + DSN_TEXT +
     "\n--dsn\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
     "Reporting-MTA: dns; mx.example.com\nArrival-Date: Mon, 23 Nov 2026 10:00:59 +0300\n\n"
     "Final-Recipient: rfc822; nobody@example.com\nAction: failed\nStatus: 5.1.1\n"
     "\n--dsn\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n\n"
     f"From: claims@{OUR}\nTo: nobody@example.com\nSubject: =?utf-8?B?"
     + base64.b64encode("Re: [C-2026-000042] Ответ на обращение".encode()).decode() + "?=\n"
     f"Message-ID: {BOUNCED_ID}\nAuto-Submitted: auto-replied\nContent-Type: text/plain; charset=utf-8\n\n"
     "Ваше обращение рассмотрено.\n\n--dsn--\n",
     {**ROBOT, "auto_kind": "bounce", "thread_refs": [BOUNCED_ID], "text_contains": ["User unknown"],
      "text_not_contains": ["Ваше обращение рассмотрено"], "attachments": [
          {"name": "attachment-1.txt", "content_type": "message/delivery-status"},
          {"name": "attachment-2.eml", "content_type": "message/rfc822"}]})
mail("bounce_dsn_headers_only.eml", "Return-Path: <>\nFrom: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
     f"To: claims@{OUR}\nSubject: Delivery Status Notification (Failure)\nMessage-ID: <dsn.2@mx.google.com>\n"
     "MIME-Version: 1.0\nContent-Type: multipart/report; boundary=\"000b\"; report-type=delivery-status",
     "--000b\nContent-Type: text/plain; charset=UTF-8\n\nАдрес не найден: сообщение не доставлено.\n\n"
     "--000b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; googlemail.com\n\n"
     "Final-Recipient: rfc822; nobody@example.com\nAction: failed\nStatus: 5.1.1\n\n"
     "--000b\nContent-Type: text/rfc822-headers\n\n"
     f"From: claims@{OUR}\nTo: nobody@example.com\nSubject: Re: [C-2026-000042]\nMessage-ID: {BOUNCED_ID}\n\n"
     "--000b--\n", {**ROBOT, "auto_kind": "bounce", "thread_refs": [BOUNCED_ID],
                    "text_contains": ["сообщение не доставлено"]}, crlf=True)
mail("bounce_plain_qmail.eml", "Return-Path: <>\nFrom: MAILER-DAEMON@mail.example.net\n"
     f"To: claims@{OUR}\nSubject: failure notice\nDate: Mon, 23 Nov 2026 10:02:00 +0300\n",
     "Hi. This is the qmail-send program at mail.example.net.\nI'm afraid I wasn't able to deliver your message "
     "to the following addresses.\n\n<nobody@example.net>:\nSorry, no mailbox here by that name.\n\n"
     "--- Below this line is a copy of the message.\n\nReturn-Path: <claims@claims.example.ru>\n"
     f"Message-ID: {BOUNCED_ID}\nSubject: Re: [C-2026-000042]\n\nВаше обращение рассмотрено.\n",
     {**ROBOT, "auto_kind": "bounce", "thread_refs_contains": [BOUNCED_ID], "content_id": "blob"})
mail("postmaster_notice.eml", common("Mailbox quota", frm="postmaster@example.org",
     extra="Content-Type: text/plain"), "Your mailbox is almost full.\n",
     {**ROBOT, "auto_kind": "mailer_daemon"})
mail("read_receipt_mdn.eml", common("Прочитано: Нет интернета", extra="Content-Type: multipart/report; "
     "report-type=disposition-notification; boundary=\"mdn\""),
     "--mdn\nContent-Type: text/plain; charset=utf-8\n\nВаше сообщение было прочитано.\n"
     "--mdn\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; ivan.petrov@example.com\n"
     f"Original-Message-ID: {OUT_ID}\nDisposition: manual-action/MDN-sent-manually; displayed\n--mdn--\n",
     {**ROBOT, "auto_kind": "receipt"}, head_charset="utf-8")
mail("mailing_list.eml", common("[users] Новости", frm="Рассылка <news@lists.example.org>", extra=
     "List-Id: Users list <users.lists.example.org>\nPrecedence: list\nList-Unsubscribe: <mailto:leave@example.org>"
     "\nContent-Type: text/plain; charset=utf-8"), "Новости месяца.\n",
     {**ROBOT, "auto_kind": "list"}, head_charset="utf-8")
mail("bulk_precedence.eml", common("Скидки", frm="Shop <promo@shop.example.com>", extra="Precedence: bulk\n"
     "Content-Type: text/plain; charset=utf-8"), "Скидки до 50%!\n", {**ROBOT, "auto_kind": "bulk"},
     head_charset="utf-8")
mail("null_sender.eml", "Return-Path: <>\n" + common("Notification", frm="robot@example.com",
     extra="Content-Type: text/plain"), "Something happened.\n", {**ROBOT, "auto_kind": "null_sender"})

# --- malformed headers and identity ------------------------------------------------------------------
mail("no_date_no_message_id.eml", common("Нет даты", msgid=None, date=None, extra="Content-Type: text/plain; "
     "charset=utf-8"), "Письмо без даты и без Message-ID.\n",
     {"text_contains": ["без даты"], "content_id": "blob", **SENDER,
      "reply_to": {"address": "ivan.petrov@example.com", "message_id": None, "references": []}},
     head_charset="utf-8")
mail("bad_date.eml", common("Плохая дата", date="вчера в 25:99", extra="Content-Type: text/plain; "
     "charset=utf-8"), "Дата в заголовке испорчена.\n", {"text_contains": ["Дата в заголовке испорчена"], **SENDER},
     head_charset="utf-8")
mail("garbage_header_line.eml", "From: ivan.petrov@example.com\nSubject: garbage\nthis line is not a header\n"
     "To: claims@claims.example.ru\nContent-Type: text/plain; charset=utf-8",
     "Текст жалобы после мусорной строки.\n",
     {"subject": "garbage", "emails": ["ivan.petrov@example.com"], "text_contains": ["Текст жалобы"]})
mail("duplicate_from.eml", "From: ivan.petrov@example.com\nFrom: boss@example.com\n" + common("Два From").split(
     "\n", 1)[1] + "\nContent-Type: text/plain; charset=utf-8", "Письмо с двумя From.\n",
     {"emails": [], "reply_to": None, "text_contains": ["двумя From"]}, head_charset="utf-8")
mail("ambiguous_display_address.eml", common("spoof", frm="\"boss@claims.example.ru\" <attacker@evil.example>",
     extra="Content-Type: text/plain"), "Transfer the money.\n", {"emails": [], "reply_to": None,
                                                                  "display_name": None})
mail("ambiguous_two_addresses.eml", common("two", frm="a@example.com, b@example.org", extra="Content-Type: "
     "text/plain"), "Two senders.\n", {"emails": [], "reply_to": None})
mail("ambiguous_cve_2023_27043.eml", common("cve", frm="alice@example.org)<bob@example.org>",
     extra="Content-Type: text/plain"), "Parser confusion.\n", {"emails": [], "reply_to": None})
mail("ambiguous_unbalanced_quote.eml", common("quote", frm="\"Ivan <ivan@example.com>", extra="Content-Type: "
     "text/plain"), "Unbalanced quote.\n", {"emails": [], "reply_to": None})
mail("ambiguous_encoded_display.eml", common("enc", frm=ew("boss@claims.example.ru") + " <attacker@evil.example>",
     extra="Content-Type: text/plain"), "Encoded spoof.\n", {"emails": [], "reply_to": None})
mail("reply_to_header.eml", common("Ответьте на другой адрес", extra="Reply-To: Иван <ivan.home@example.net>\n"
     "Content-Type: text/plain; charset=utf-8"), "Ответ прошу прислать на домашний адрес.\n",
     {**SENDER, "reply_to": {"address": "ivan.home@example.net"}}, head_charset="utf-8")
mail("phones_and_numbers.eml", common("Номер договора", extra="Content-Type: text/plain; charset=utf-8"),
     "Мой телефон 8 (912) 345-67-89, второй +7 495 123-45-67.\nДоговор № 12-345678, лицевой счёт 1234567890.\n",
     {"phones": ["+79123456789", "+74951234567"], "contract_numbers": ["12-345678"],
      "account_numbers": ["1234567890"], **SENDER})
mail("followup_ticket_in_subject.eml", common("Re: [C-2026-000123] Нет интернета", extra="In-Reply-To: " + OUT_ID
     + "\nReferences: <first.1@example.com>\n " + OUT_ID + "\nContent-Type: text/plain; charset=utf-8"),
     "Интернет снова пропал.\n", {"thread_refs": [OUT_ID, "<first.1@example.com>", "C-2026-000123"],
                                  "reply_to": {"references": ["<first.1@example.com>", OUT_ID,
                                                              "<SELF>"]}})

# --- fax gateway -----------------------------------------------------------------------------------
mail("fax_gateway_pdf.eml", common("Факс от +7 495 123-45-67", frm="Факс-шлюз <fax@fax.example.ru>",
     extra="Content-Type: multipart/mixed; boundary=\"fx\""),
     "--fx\nContent-Type: text/plain; charset=utf-8\n\nВходящий факс с номера +7 495 123-45-67, 1 стр.\n"
     "Клиент указал договор № 12-345678.\n--fx\nContent-Type: application/pdf; name=\"fax_0001.pdf\"\n"
     "Content-Disposition: attachment; filename=\"fax_0001.pdf\"\nContent-Transfer-Encoding: base64\n\n" + b64(PDF)
     + "\n--fx--\n", {"category": "fax", "reply_to": None, "emails": [], "phones": ["+74951234567"],
                      "contract_numbers": ["12-345678"], "attachments": [
                          {"name": "fax_0001.pdf", "content_type": "application/pdf", "size": len(PDF)}]},
     head_charset="utf-8")
mail("fax_gateway_tiff.eml", "From: fax@fax.example.ru\nTo: claims@claims.example.ru\nSubject: Fax\n"
     "Auto-Submitted: auto-generated\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"t\"",
     "--t\nContent-Type: image/tiff; name=\"fax.tif\"\nContent-Transfer-Encoding: base64\n\n" + b64(TIFF)
     + "\n--t--\n", {"category": "fax", "reply_to": None, "text": "(факс, вложений: 1)", "attachments": [
         {"name": "fax.tif", "content_type": "image/tiff", "size": len(TIFF)}]})

# --- refused (kept by the worker in SHUNT with the reason) ---------------------------------------------
mail("oversize_part.eml", common("big", extra="Content-Type: multipart/mixed; boundary=\"big\""),
     "--big\nContent-Type: text/plain\n\nSee attachment.\n--big\nContent-Type: application/octet-stream; "
     "name=\"big.bin\"\nContent-Disposition: attachment; filename=\"big.bin\"\nContent-Transfer-Encoding: base64\n\n"
     + b64(bytes(range(256)) * 800) + "\n--big--\n", {"error": "part size cap"})
mail("oversize_header.eml", common("huge header", extra="\n".join(f"X-Junk-{i}: {'x' * 90}" for i in range(200))
     + "\nContent-Type: text/plain"), "Body.\n", {"error": "header size cap"})
mail("too_many_parts.eml", common("parts", extra="Content-Type: multipart/mixed; boundary=\"p\""),
     "".join(f"--p\nContent-Type: text/plain\n\npart {i}\n" for i in range(40)) + "--p--\n",
     {"error": "MIME parts"})
CORPUS["not_a_mail.eml"] = (PNG, {"error": "no header fields"})
CORPUS["empty.eml"] = (b"\r\n", {"error": "empty mail"})


def main() -> None:
    for old in HERE.glob("*.eml"):
        old.unlink()
    for name, (data, _) in CORPUS.items():
        (HERE / name).write_bytes(data)
    expected = {name: fields for name, (_, fields) in CORPUS.items()}
    (HERE / "expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(CORPUS)} mails")


if __name__ == "__main__":
    main()
