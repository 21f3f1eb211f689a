"""router.scan_match: ranking the directory's clients against a scanned letter's fields, the automatic-accept
rule, and the query that picks the clients worth ranking (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from normalizer.event import ScanFields
from router.models import Client, ClientIdentity
from router.scan_match import (
    Candidate,
    ClientRow,
    candidate_rows,
    decide,
    digit_distance,
    name_score,
    number_score,
    rank_candidates,
)
from tests.support.directory import IVANOV, KUZNETSOV, SIDOROVA, seed_directory
from workers.app.runtime import Database

pytestmark = pytest.mark.usefixtures("database_url")

CLIENTS = [
    ClientRow(1, "Иванов Иван Иванович", "12-000001", "100000000001", "г. Москва, ул. Ленина, д. 5, кв. 12",
              ("+79161110001",)),
    ClientRow(2, "Сидорова Анна Петровна", "12-000002", None, "г. Москва, ул. Садовая, д. 3", ("+79161110002",)),
    ClientRow(3, "Кузнецов Пётр Сергеевич", "12-000003", None, None, ("+79161110003",)),
    ClientRow(4, "Белова Анна Сергеевна", "12-000071", "100000000004", "г. Тула, пр. Ленина, д. 1", ()),
    ClientRow(5, "Иванова Ирина Игоревна", "34-123456", None, None, ()),
]


def top(fields: ScanFields) -> Candidate:
    ranked = rank_candidates(fields, CLIENTS)
    assert ranked, "no candidate"
    return ranked[0]


# --- the parts ------------------------------------------------------------------------------------------------


def test_an_ocr_confusion_is_half_an_error() -> None:
    assert digit_distance("12-000007", "12-000001") == 0.5  # 7/1
    assert digit_distance("12-000002", "12-000001") == 1.0
    assert digit_distance("12-800003", "12-000008") == 1.0  # 8/0 and 3/8
    assert digit_distance("12-00001", "12-000001") == 1.0  # a digit missing
    assert number_score("12 000001", "12-000001") == 100.0  # digits only
    assert number_score("12-000007", "12-000001") > number_score("12-000002", "12-000001") > 0


def test_names_ignore_case_yo_punctuation_and_word_order() -> None:
    assert name_score("КУЗНЕЦОВ ПЕТР СЕРГЕЕВИЧ", "Кузнецов Пётр Сергеевич") == 100.0
    assert name_score("Пётр Сергеевич Кузнецов", "Кузнецов Пётр Сергеевич") == 100.0
    assert name_score("Белова А. С.", "Белова Анна Сергеевна") >= 85
    assert name_score("Белова И. С.", "Белова Анна Сергеевна") < 85
    assert name_score("Иванов Иван Иванович", "Сидорова Анна Петровна") < 60


# --- ranking and the decision ---------------------------------------------------------------------------------


def test_a_digit_misread_7_for_1_still_puts_the_right_client_on_top() -> None:
    fields = ScanFields(contract="12-000007", sender_name="Иванов Иван Иванович")
    ranked = rank_candidates(fields, CLIENTS)
    assert ranked[0].client_id == 1
    assert "номер договора отличается одной цифрой (7↔1)" in ranked[0].reasons
    assert "ФИО совпадает на 100%" in ranked[0].reasons
    decision = decide(fields, ranked)
    assert decision.accept is False and decision.client_id is None
    assert "Иванов Иван Иванович" in decision.reason
    # The number alone: the confusable 7/1 beats a plain one-digit difference.
    assert top(ScanFields(contract="12-000007")).client_id == 1


def test_an_exact_contract_and_the_name_are_accepted() -> None:
    fields = ScanFields(contract="12-000071", sender_name="Белова Анна Сергеевна")
    ranked = rank_candidates(fields, CLIENTS)
    assert ranked[0].client_id == 4 and ranked[0].exact_number == "contract"
    decision = decide(fields, ranked)
    assert decision.accept is True and decision.client_id == 4
    assert decision.reason.startswith("номер договора и ФИО совпадают")


def test_an_exact_account_and_the_name_in_initials_are_accepted() -> None:
    fields = ScanFields(account="100000000004", sender_name="Белова А. С.")
    decision = decide(fields, rank_candidates(fields, CLIENTS))
    assert decision.accept is True and decision.client_id == 4


def test_an_exact_contract_with_another_name_goes_to_verification() -> None:
    fields = ScanFields(contract="12-000001", sender_name="Петров Пётр Петрович")
    ranked = rank_candidates(fields, CLIENTS)
    assert ranked[0].client_id == 1
    decision = decide(fields, ranked)
    assert decision.accept is False and decision.client_id is None
    assert "ФИО другое" in decision.reason
    # No name at all is no match either.
    nameless = ScanFields(contract="12-000001")
    assert decide(nameless, rank_candidates(nameless, CLIENTS)).accept is False


def test_a_name_alone_goes_to_verification_with_the_right_top_candidate() -> None:
    fields = ScanFields(sender_name="Сидорова Анна Петровна")
    ranked = rank_candidates(fields, CLIENTS)
    assert ranked[0].client_id == 2 and [c.client_id for c in ranked] == [2]  # nobody else scores
    decision = decide(fields, ranked)
    assert decision.accept is False and decision.client_id is None and "Сидорова" in decision.reason


def test_yo_and_word_order_do_not_matter_for_the_decision() -> None:
    fields = ScanFields(contract="12-000003", sender_name="Петр Сергеевич КУЗНЕЦОВ")
    decision = decide(fields, rank_candidates(fields, CLIENTS))
    assert decision.accept is True and decision.client_id == 3


def test_numbers_naming_two_clients_are_never_accepted() -> None:
    fields = ScanFields(contract="12-000001", account="100000000004", sender_name="Иванов Иван Иванович")
    ranked = rank_candidates(fields, CLIENTS)
    assert {c.client_id for c in ranked if c.exact_number} == {1, 4}
    decision = decide(fields, ranked)
    assert decision.accept is False and "разных клиентов" in decision.reason


def test_phone_and_address_add_to_the_score() -> None:
    plain = top(ScanFields(sender_name="Иванов Иван Иванович"))
    more = top(ScanFields(sender_name="Иванов Иван Иванович", phone="8 (916) 111-00-01",
                          address="Москва, улица Ленина, дом 5, квартира 12"))
    assert plain.client_id == more.client_id == 1
    assert more.score > plain.score
    assert "телефон совпадает" in more.reasons and any(r.startswith("адрес совпадает") for r in more.reasons)
    assert decide(ScanFields(), []).reason == "клиент не найден в справочнике"


def test_the_ranking_is_capped() -> None:
    fields = ScanFields(contract="12-000009")
    ranked = rank_candidates(fields, CLIENTS, limit=2)
    assert len(ranked) == 2 and ranked[0].score >= ranked[1].score


# --- the query ------------------------------------------------------------------------------------------------


@pytest.fixture
async def seeded(database: Database) -> Database:
    async with database.sessions() as session, session.begin():
        await seed_directory(session)
        session.add_all([
            Client(contract_number="12-000071", account_number="123456789012", name="Белова Анна Сергеевна",
                   segment="individual", address="г. Тула, пр. Ленина, д. 1",
                   identities=[ClientIdentity(kind="contract", value="12-000071")]),
            Client(contract_number="77-555555", name="Семёнов Алексей Викторович", segment="individual"),
        ])
    return database


async def rows(database: Database, fields: ScanFields, limit: int = 200) -> list[ClientRow]:
    return await database.run_transaction(lambda s: candidate_rows(s, fields, limit))


async def test_candidate_rows_find_a_misread_number(seeded: Database) -> None:
    found = await rows(seeded, ScanFields(contract="12-000007"))
    names = {row.name for row in found}
    assert "Иванов Иван Иванович" in names  # one digit off
    assert len(found) < 8  # not the whole directory: only the 12-0000.. numbers
    ivanov = next(row for row in found if row.contract_number == IVANOV.contract)
    assert ivanov.phones == (IVANOV.phone,)
    ranked = rank_candidates(ScanFields(contract="12-000007", sender_name="Иванов Иван Иванович"), found)
    assert ranked[0].contract_number == IVANOV.contract


async def test_candidate_rows_find_a_number_with_a_digit_missing(seeded: Database) -> None:
    found = await rows(seeded, ScanFields(account="12345679012"))  # "8" lost
    assert [row.name for row in found] == ["Белова Анна Сергеевна"]
    assert found[0].account_number == "123456789012" and found[0].address == "г. Тула, пр. Ленина, д. 1"


async def test_candidate_rows_find_by_surname_phone_and_yo(seeded: Database) -> None:
    by_name = await rows(seeded, ScanFields(sender_name="Анна Петровна Сидорова"))
    assert [row.contract_number for row in by_name] == [SIDOROVA.contract]
    by_phone = await rows(seeded, ScanFields(phone="8 (916) 111-00-03"))
    assert [row.contract_number for row in by_phone] == [KUZNETSOV.contract]
    by_yo = await rows(seeded, ScanFields(sender_name="Семенов Алексей Викторович"))
    assert [row.name for row in by_yo] == ["Семёнов Алексей Викторович"]
    assert await rows(seeded, ScanFields(sender_name="Никто Никак Никакович")) == []
    assert await rows(seeded, ScanFields()) == []


async def test_candidate_rows_put_the_closest_first_under_the_limit(seeded: Database) -> None:
    fields = ScanFields(contract=SIDOROVA.contract, sender_name="Иванов Иван Иванович")
    found = await rows(seeded, fields, limit=1)
    assert [row.contract_number for row in found] == [SIDOROVA.contract]
    everyone = await rows(seeded, fields)
    decision = decide(fields, rank_candidates(fields, everyone))
    assert decision.accept is False and decision.client_id is None  # the number is Sidorova's, the name not
