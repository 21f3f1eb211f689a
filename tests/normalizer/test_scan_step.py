"""normalizer.scan: a scanned letter's OCR text -> the letter text, the extracted fields, identity hints and
whether a person must verify the client (ScanFacts)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

import pytest

from channels.base import BadSubmission, Channel, RawSubmission, submission_id_for
from channels.scan.payload import OcrWord, ScanPage, ScanPayload
from normalizer.config import NormalizerConfig
from normalizer.draft import Draft
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from normalizer.scan import extract, scan_letter
from normalizer.scan.fields import drop_junk_lines, nominative, numbers_fixed
from workers.app.settings import Settings

RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
BLOB = "sha256:" + "ab" * 32

CLEAN = """Генеральному директору ООО «Телеком-Сервис»
Заявитель: Белова Анна Сергеевна
Адрес: г. Москва, ул. Ленина, д. 5, кв. 12
Телефон: +7 (916) 111-00-01

ПРЕТЕНЗИЯ

Я являюсь абонентом по договору № 12-000001.
С 01.11.2026 по адресу: г. Москва, ул. Садовая, д. 3, кв. 7 не работает интернет,
при этом с моего счёта списана абонентская плата 1 500 руб.
Согласно ст. 29 Закона «О защите прав потребителей» я вправе требовать перерасчёта.
Прошу вернуть 1 500 руб. и восстановить услугу.

12.11.2026
С уважением, Белова Анна Сергеевна
"""

# The same letter as a poor fax: junk lines, letters inside the numbers, Latin look-alikes, genitive name.
NOISY = """Генеральному директору ООО «Телеком-Сервис»
от Беловой Анны Сергеевны
прoживающей по адресу: г. Москва, ул. Ленина, д. 5, кв. 12
тел. +7 (9l6) lll-OO-Ol
|
—~ .
ПРЕТЕНЗИЯ
Я являюсь абонентом по дoговору № l2-OOOOO1. Интернет не работает
с 01.11.2026, абонентская плата 1500 р. списана полностью.
' , i
Прошу сделать перерасчёт за ноябрь.
12 ноября 2026 г.
Белова А. С.
"""


def payload(text: str | list[str], confidence: float | None = 91.5, text_layer: bool = False,
            source: Literal["folder", "upload", "fax_email"] = "upload", **extra: Any) -> ScanPayload:
    pages = [text] if isinstance(text, str) else text
    return ScanPayload(
        source=source, blob_key=BLOB, filename="letter.tiff",
        content_type="application/pdf" if text_layer else "image/tiff", size=12_345, text_layer=text_layer,
        pages=[ScanPage(number=i, text=t, mean_confidence=None if text_layer else confidence,
                        image_key=f"{BLOB}/page-{i}.png") for i, t in enumerate(pages, 1)],
        mean_confidence=None if text_layer else confidence,
        words=[OcrWord(text="l2-OOOOO1", confidence=31.0, page=1)],
        **extra,
    )


def raw(scan: ScanPayload | dict[str, Any], channel: Channel = Channel.POST, native_id: str = BLOB) -> RawSubmission:
    body = scan.model_dump(mode="json") if isinstance(scan, ScanPayload) else scan
    return RawSubmission(submission_id=submission_id_for(channel, native_id), channel=channel, native_id=native_id,
                         received_at=RECEIVED, payload=body, operator_id="post.room")


def draft_of(scan: ScanPayload, config: NormalizerConfig | None = None,
             channel: Channel = Channel.POST) -> Draft:
    draft = Draft(raw=raw(scan, channel), config=config or NormalizerConfig())
    scan_letter(draft)
    return draft


def event_of(scan: ScanPayload, channel: Channel = Channel.POST,
             config: NormalizerConfig | None = None) -> ComplaintEvent:
    return normalize(raw(scan, channel), config=config or NormalizerConfig(), channel_steps={channel: scan_letter})


# --- the fields -----------------------------------------------------------------------------------------------


def test_a_clean_letter_gives_every_field() -> None:
    fields = extract(CLEAN).fields
    assert fields.sender_name == "Белова Анна Сергеевна"
    assert fields.contract == "12-000001" and fields.account is None
    assert fields.phone == "+79161110001"
    assert fields.address == "г. Москва, ул. Ленина, д. 5, кв. 12"
    assert fields.claim_where == "г. Москва, ул. Садовая, д. 3, кв. 7"
    assert fields.date == "12.11.2026"
    assert fields.claim_amount == "1500 руб."
    assert fields.claim_what is not None and "не работает интернет" in fields.claim_what
    assert fields.claim_grounds is not None and "ст. 29 Закона" in fields.claim_grounds
    assert fields.claim_demand == "Прошу вернуть 1 500 руб. и восстановить услугу."


def test_a_noisy_fax_still_gives_the_numbers_the_name_and_the_claim() -> None:
    found = extract(NOISY)
    fields = found.fields
    assert fields.contract == "12-000001" and found.contracts == ["12-000001"]
    assert fields.phone == "+79161110001"
    assert fields.sender_name == "Белова Анна Сергеевна"  # «от Беловой Анны Сергеевны», in the nominative
    assert fields.address == "г. Москва, ул. Ленина, д. 5, кв. 12"
    assert fields.date == "12.11.2026"
    assert fields.claim_amount == "1500 руб."
    assert fields.claim_demand == "Прошу сделать перерасчёт за ноябрь."
    assert fields.claim_what is not None and "не работает" in fields.claim_what


def test_letters_inside_numbers_become_digits_but_words_stay() -> None:
    assert numbers_fixed("договор № l2-OOOOO1, тел. 8 (9l6) lll-OO-Ol") == "договор № 12-000001, тел. 8 (916) 111-00-01"
    assert numbers_fixed("ООО «Ромашка» о 12 ноября, I am") == "ООО «Ромашка» о 12 ноября, I am"
    assert numbers_fixed("Договор l2-ОООЗ45.") == "Договор 12-000345."


def test_junk_lines_are_dropped_and_the_text_kept() -> None:
    text = drop_junk_lines("Текст письма.\n|\n—~ .\n' , i\n\n\n\nВторой абзац.\n-- 2 --\n")
    assert text == "Текст письма.\n\nВторой абзац."


@pytest.mark.parametrize(("genitive", "nominative_"), [
    ("Беловой Анны Сергеевны", "Белова Анна Сергеевна"),
    ("Ивановой Марии Петровны", "Иванова Мария Петровна"),
    ("Иванова Ивана Ивановича", "Иванов Иван Иванович"),
    ("Кузнецова Андрея Сергеевича", "Кузнецов Андрей Сергеевич"),
    ("Орловой Ольги Олеговны", "Орлова Ольга Олеговна"),
    ("Белова Анна Сергеевна", "Белова Анна Сергеевна"),
])
def test_a_name_after_from_is_put_in_the_nominative(genitive: str, nominative_: str) -> None:
    assert nominative(genitive) == nominative_
    assert extract(f"В ООО «Телеком»\nот {genitive}\nПрошу перерасчёт.").fields.sender_name == nominative_


def test_the_name_comes_from_the_signature_else_the_envelope() -> None:
    signed = "Интернет не работает неделю.\nПрошу перерасчёт.\n\nСмирнов Олег Ильич\n03.12.2026"
    assert extract(signed).fields.sender_name == "Смирнов Олег Ильич"
    unsigned = "Интернет не работает неделю. Прошу перерасчёт."
    assert extract(unsigned, envelope_sender="  Смирнов О. И.,  Москва ").fields.sender_name == "Смирнов О. И., Москва"
    assert extract(unsigned).fields.sender_name is None


def test_account_numbers_sums_and_dates_in_their_written_forms() -> None:
    fields = extract("ФИО: Орлова Мария Олеговна\nЛицевой счёт № 1234 5678 9012\n"
                     "Списали 2 350,50 руб. вместо 350 рублей. Письмо от 5 декабря 2026 г.").fields
    assert fields.account == "123456789012" and fields.contract is None
    assert fields.claim_amount == "2350.50 руб."
    assert fields.date == "05.12.2026"
    assert fields.sender_name == "Орлова Мария Олеговна"


def test_a_custom_contract_pattern_is_used() -> None:
    config = NormalizerConfig.from_options(contract_pattern=r"\bДГ-(\d{4})\b")
    assert extract("Мой договор ДГ-4З21, прошу перерасчёт.", config).fields.contract == "4321"


# --- the step -------------------------------------------------------------------------------------------------


def test_the_step_fills_the_draft_with_hints_and_facts() -> None:
    draft = draft_of(payload(NOISY, confidence=88.0))
    assert "|" not in draft.text.split("\n") and "ПРЕТЕНЗИЯ" in draft.text
    assert "l2-OOOOO1" in draft.text  # the letter as read: the fixed numbers are the fields and hints
    assert draft.display_name == "Белова Анна Сергеевна"
    assert draft.subject == "Письмо по почте от 12.11.2026"
    assert draft.identities.contract_numbers == ["12-000001"]
    assert draft.identities.phones == ["+79161110001"]
    assert draft.ocr_confidence == 88.0
    assert [a.blob_key for a in draft.attachments] == [BLOB]
    scan = draft.scan
    assert scan is not None and scan.blob_key == BLOB and scan.page_keys == [f"{BLOB}/page-1.png"]
    assert scan.needs_verification is False and scan.reasons == []
    assert scan.fields.contract == "12-000001"


def test_low_confidence_always_needs_verification() -> None:
    scan = draft_of(payload(CLEAN, confidence=54.2)).scan
    assert scan is not None and scan.needs_verification
    assert scan.reasons == ["низкое качество распознавания: 54%"]
    stricter = NormalizerConfig.from_options(scan_low_confidence=95.0)
    strict = draft_of(payload(CLEAN, confidence=91.5), stricter).scan
    assert strict is not None and strict.reasons == ["низкое качество распознавания: 92%"]


def test_no_number_or_conflicting_numbers_need_verification() -> None:
    none = draft_of(payload("Заявитель: Белова Анна Сергеевна\nИнтернет не работает. Прошу перерасчёт.")).scan
    assert none is not None and none.needs_verification and none.reasons == ["номер договора не найден"]
    two = draft_of(payload([CLEAN, "Также по договору № 12-000007 прошу перерасчёт."])).scan
    assert two is not None and two.needs_verification
    assert two.reasons == ["в письме разные номера договора: 12-000001, 12-000007"]


def test_a_text_layer_has_no_confidence_and_that_alone_needs_no_verification() -> None:
    draft = draft_of(payload(CLEAN, text_layer=True))
    assert draft.ocr_confidence is None and draft.scan is not None
    assert draft.scan.text_layer and draft.scan.mean_confidence is None
    assert draft.scan.needs_verification is False


def test_a_scan_without_text_is_kept_for_a_person() -> None:
    draft = draft_of(payload("|\n—\n", confidence=12.0))
    assert draft.text == "(текст скана не распознан)"
    assert draft.scan is not None and draft.scan.reasons[0] == "текст не распознан"


@pytest.mark.parametrize("body", [
    {"blob_key": BLOB},
    {**payload(CLEAN).model_dump(mode="json"), "pages": []},
    {**payload(CLEAN).model_dump(mode="json"), "mean_confidence": 140},
    {**payload(CLEAN).model_dump(mode="json"), "surprise": 1},
])
def test_a_bad_payload_is_a_bad_submission(body: dict[str, Any]) -> None:
    with pytest.raises(BadSubmission, match="bad scan payload"):
        scan_letter(Draft(raw=raw(body)))


# --- through normalize() --------------------------------------------------------------------------------------


def test_a_post_letter_becomes_a_complaint_event_with_its_scan_facts() -> None:
    event = event_of(payload(CLEAN, confidence=91.5, envelope_sender="Белова А. С.", received_date=date(2026, 11, 20)))
    assert event.channel == Channel.POST and event.native_id == BLOB
    assert event.text.startswith("Генеральному директору") and "Прошу вернуть" in event.text
    assert event.ocr_confidence == 91.5
    assert event.scan is not None and event.scan.mean_confidence == 91.5 and not event.scan.needs_verification
    assert event.scan.fields.sender_name == "Белова Анна Сергеевна"
    assert event.display_name == "Белова Анна Сергеевна"
    assert event.subject == "Письмо по почте от 12.11.2026"
    assert event.identities.contract_numbers == ["12-000001"] and event.identities.phones == ["+79161110001"]
    assert event.category == "billing" and event.demands == ["recalculation"]
    assert event.operator_id == "post.room"
    # The event survives its JSON round trip (what the bus carries).
    assert ComplaintEvent.model_validate_json(event.model_dump_json()) == event


def test_a_fax_without_a_date_is_named_by_the_day_received() -> None:
    event = event_of(payload("Интернет не работает. Прошу перерасчёт.", confidence=40.0, source="fax_email",
                             fax_from="fax@fax.example.ru"), channel=Channel.FAX)
    assert event.subject == "Факс от 23.11.2026"
    assert event.scan is not None and event.scan.needs_verification
    assert event.scan.reasons == ["низкое качество распознавания: 40%", "номер договора не найден"]


def test_the_threshold_comes_from_the_settings_when_they_have_it() -> None:
    assert NormalizerConfig().scan_low_confidence == 70.0
    assert NormalizerConfig.from_settings(Settings()).scan_low_confidence == 70.0


def test_a_letter_from_a_subscriber_by_account_with_short_sentences() -> None:
    fields = extract("Директору филиала Петрову Петру Петровичу\nот абонента Кузнецова Петра Сергеевича\n"
                     "л/с 123456789012, тел 8-916-111-00-03\nУ меня пропадает связь каждый вечер.\n"
                     "Прошу устранить.\n\nКузнецов П.С.\n01.12.2026").fields
    assert fields.sender_name == "Кузнецов Петр Сергеевич"  # not the director (dative), in the nominative
    assert fields.account == "123456789012" and fields.phone == "+79161110003"
    assert fields.claim_what == "У меня пропадает связь каждый вечер."
    assert fields.claim_demand == "Прошу устранить."
    assert fields.date == "01.12.2026"
