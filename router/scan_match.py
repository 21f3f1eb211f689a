"""Who wrote a scanned letter: the directory's clients ranked against the fields OCR read (normalizer.scan).

An OCR'd number is never trusted by itself. `decide` accepts a client automatically only when a contract
or account number matches exactly AND the name matches too; everything else goes to a person ("Проверка
скана") with the ranked candidates.

The score (0-100) of a candidate is a weighted sum of what the letter gives:

    number   40  the better of contract and account: exact = 100; else a weighted Levenshtein distance
                 over the digits only, where a typical OCR confusion (7/1, 8/6/0, 3/8, 5/6, 4/1) is half
                 an error: 100 - 40 * distance (half an error 80, one error 60, two errors 20, then 0)
    name     35  rapidfuzz token_sort_ratio on the normalised names (lower case, ё -> е, punctuation
                 out, word order ignored); «Фамилия И. О.» is compared by surname and initials
    phone    15  the same ten national digits as one of the client's phones
    address  10  rapidfuzz token_set_ratio on the normalised addresses (the letter's or the service's)

A name or address below 70 counts as nothing (any two Russian names share letters: «Сидорова Анна
Петровна» and «Белова Анна Сергеевна» score 65). What the letter does
not give contributes nothing, so a name-only match is at most 35: the score measures the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from rapidfuzz import fuzz
from sqlalchemy import case, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from normalizer.event import ScanFields
from normalizer.phones import to_e164
from router.models import Client, ClientIdentity

WEIGHT_NUMBER = 40
WEIGHT_NAME = 35
WEIGHT_PHONE = 15
WEIGHT_ADDRESS = 10
FUZZY_FLOOR = 70.0  # a name or address less similar than this counts as nothing
ERROR_PENALTY = 40.0  # number points lost per digit error (a confusion costs half)
NAME_ACCEPT = 85.0  # the name score an exact number needs for an automatic match

# Digit pairs OCR confuses: a substitution between them costs half an error.
CONFUSIONS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair) for pair in (("7", "1"), ("8", "6"), ("8", "0"), ("6", "0"), ("3", "8"), ("5", "6"), ("4", "1"))
)


@dataclass(frozen=True)
class ClientRow:
    id: int
    name: str
    contract_number: str
    account_number: str | None = None
    address: str | None = None
    phones: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    client_id: int
    name: str
    contract_number: str
    score: float  # 0-100, see the module's docstring
    reasons: list[str] = field(default_factory=list)  # Russian, for the operator
    name_score: float = 0.0  # 0-100 on the normalised name (0: the letter gives no name)
    exact_number: str | None = None  # "contract" or "account" when that number matches exactly


@dataclass(frozen=True)
class Decision:
    accept: bool
    client_id: int | None
    reason: str


# --- parts --------------------------------------------------------------------------------------------------


def digits(value: str | None) -> str:
    return "".join(c for c in value or "" if c.isdigit())


def substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    return 0.5 if frozenset((a, b)) in CONFUSIONS else 1.0


def digit_distance(read: str, actual: str) -> float:
    """Weighted Levenshtein distance over the digits only: a confusable substitution costs 0.5,
    any other substitution, a missing or an extra digit 1."""
    a, b = digits(read), digits(actual)
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [float(i)]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution_cost(ca, cb)))
        previous = current
    return previous[-1]


def number_score(read: str | None, actual: str | None) -> float:
    a, b = digits(read), digits(actual)
    if not a or not b:
        return 0.0
    if a == b:
        return 100.0
    return max(0.0, 100.0 - ERROR_PENALTY * digit_distance(a, b))


_COUNT_WORDS = {1: "одной цифрой", 2: "двумя цифрами", 3: "тремя цифрами"}


def number_reason(label: str, read: str, actual: str) -> str:
    """«номер договора отличается одной цифрой (7↔1)»: the letter's digit ↔ the directory's."""
    a, b = digits(read), digits(actual)
    if a == b:
        return f"{label} совпадает"
    if len(a) == len(b):
        pairs = [f"{x}↔{y}" for x, y in zip(a, b, strict=True) if x != y]
        count = _COUNT_WORDS.get(len(pairs), f"{len(pairs)} цифрами")
        return f"{label} отличается {count} ({', '.join(pairs)})"
    return f"{label} похож: {read} ↔ {actual} (лишняя или пропущенная цифра)"


def normal_name(name: str | None) -> str:
    """lower case, ё -> е, letters and spaces only, single spaces."""
    text = (name or "").lower().replace("ё", "е")
    return " ".join(re.sub(r"[^\w\s]|[\d_]", " ", text).split())


def name_score(read: str | None, actual: str | None) -> float:
    """0-100: word order, case, ё/е and punctuation ignored; «Белова А. С.» compared by surname and initials."""
    a, b = normal_name(read), normal_name(actual)
    if not a or not b:
        return 0.0
    best = float(fuzz.token_sort_ratio(a, b))
    for short, full in ((a, b), (b, a)):
        words, others = short.split(), full.split()
        initials = [w for w in words if len(w) == 1]
        surnames = [w for w in words if len(w) > 1]
        if not initials or len(surnames) != 1 or len(others) < 2:
            continue
        surname = surnames[0]
        for k, other in enumerate(others):
            rest = [w[0] for i, w in enumerate(others) if i != k]
            if sorted(initials) == sorted(rest[:len(initials)]) or set(initials) <= set(rest):
                # The surname's similarity, a little below a full-name match of the same quality.
                best = max(best, 0.95 * float(fuzz.ratio(surname, other)))
    return best


_ADDRESS_WORDS = re.compile(
    r"\b(?:г|гор|город|ул|улица|д|дом|кв|квартира|корп|корпус|стр|строение|пр|просп|проспект|пер|переулок|"
    r"обл|область|р-н|район|пос|поселок|ш|шоссе)\b\.?")


def normal_address(address: str | None) -> str:
    text = (address or "").lower().replace("ё", "е")
    text = _ADDRESS_WORDS.sub(" ", text)
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def address_score(read: str | None, actual: str | None) -> float:
    a, b = normal_address(read), normal_address(actual)
    if not a or not b:
        return 0.0
    return float(fuzz.token_set_ratio(a, b))


def national(phone: str | None) -> str:
    """The last ten digits: +7 916 111-00-01 and 8 (916) 111-00-01 are one number."""
    d = digits(phone)
    return d[-10:] if len(d) >= 10 else d


# --- ranking ------------------------------------------------------------------------------------------------


def score_client(fields: ScanFields, client: ClientRow) -> Candidate:
    reasons: list[str] = []
    exact: str | None = None
    number = 0.0
    for kind, label, read, actual in (
        ("contract", "номер договора", fields.contract, client.contract_number),
        ("account", "лицевой счёт", fields.account, client.account_number),
    ):
        if not read or not actual:
            continue
        score = number_score(read, actual)
        if score >= 100.0 and exact is None:
            exact = kind
        if score > 0:
            reasons.append(number_reason(label, read, actual))
        number = max(number, score)

    name = name_score(fields.sender_name, client.name)
    if fields.sender_name and name >= FUZZY_FLOOR:
        reasons.append(f"ФИО совпадает на {name:.0f}%")
    elif fields.sender_name:
        reasons.append(f"ФИО не совпадает ({fields.sender_name} ↔ {client.name})")

    phone = 0.0
    wanted = national(fields.phone)
    if wanted and any(national(p) == wanted for p in client.phones):
        phone = 100.0
        reasons.append("телефон совпадает")

    address = max(address_score(fields.address, client.address), address_score(fields.claim_where, client.address))
    if address >= FUZZY_FLOOR:
        reasons.append(f"адрес совпадает на {address:.0f}%")

    total = (WEIGHT_NUMBER * number + WEIGHT_NAME * _floored(name) + WEIGHT_PHONE * phone
             + WEIGHT_ADDRESS * _floored(address)) / 100.0
    return Candidate(client_id=client.id, name=client.name, contract_number=client.contract_number,
                     score=round(total, 1), reasons=reasons, name_score=round(name, 1), exact_number=exact)


def _floored(score: float) -> float:
    return score if score >= FUZZY_FLOOR else 0.0


def rank_candidates(fields: ScanFields, clients: Sequence[ClientRow], limit: int = 5) -> list[Candidate]:
    """The `limit` best clients for the letter, best first (ties by client id); none that scores 0."""
    scored = [score_client(fields, client) for client in clients]
    ranked = sorted((c for c in scored if c.score > 0), key=lambda c: (-c.score, c.client_id))
    return ranked[:limit]


def decide(fields: ScanFields, candidates: Sequence[Candidate]) -> Decision:
    """Accept automatically only an exact contract or account number whose client's name matches too
    (≥ NAME_ACCEPT on the normalised name), and only when no other client matches a number exactly."""
    exact = [c for c in candidates if c.exact_number]
    if len({c.client_id for c in exact}) > 1:
        names = ", ".join(f"{c.name} ({c.contract_number})" for c in exact)
        return Decision(False, None, f"номера в письме указывают на разных клиентов: {names}")
    if exact:
        best = exact[0]
        label = "номер договора" if best.exact_number == "contract" else "лицевой счёт"
        if not fields.sender_name:
            return Decision(False, None, f"{label} совпадает ({best.name}), но ФИО в письме не найдено")
        if best.name_score >= NAME_ACCEPT:
            return Decision(True, best.client_id,
                            f"{label} и ФИО совпадают: {best.name} ({best.name_score:.0f}%)")
        return Decision(False, None, f"{label} совпадает, но ФИО другое: «{fields.sender_name}» ↔ «{best.name}» "
                                     f"({best.name_score:.0f}%)")
    if candidates:
        top = candidates[0]
        return Decision(False, None, f"точного совпадения номера нет; вероятнее всего {top.name}, "
                                     f"договор {top.contract_number} ({top.score:.0f} из 100)")
    return Decision(False, None, "клиент не найден в справочнике")


# --- the query ----------------------------------------------------------------------------------------------


def _halves(value: str) -> tuple[str, str] | None:
    """The number as written, cut where half its digits are on each side ("12-000007" -> "12-00", "0007")."""
    count = len(digits(value))
    if count < 4:
        return None
    seen = 0
    for index, char in enumerate(value):
        seen += char.isdigit()
        if seen == count // 2:
            return value[:index + 1], value[index + 1:]
    return None


def _one_digit_off(value: str) -> set[str]:
    """The number as written, with any one digit replaced: a one-digit misread, found by the unique index."""
    variants = {value}
    for index, char in enumerate(value):
        if char.isdigit():
            variants.update(value[:index] + d + value[index + 1:] for d in "0123456789")
    return variants


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _number_conditions(column: InstrumentedAttribute[str | None],
                       value: str | None) -> tuple[list[ColumnElement[bool]], ...]:
    """(exact, one digit off, LIKE on the prefix or suffix half)."""
    if not value or len(digits(value)) < 4:
        return [], [], []
    exact: list[ColumnElement[bool]] = [column == value]
    close: list[ColumnElement[bool]] = [column.in_(sorted(_one_digit_off(value) - {value}))]
    halves = _halves(value)
    if halves is None:
        return exact, close, []
    prefix, suffix = (_like_escape(h) for h in halves)
    return exact, close, [column.like(f"{prefix}%", escape="\\"), column.like(f"%{suffix}", escape="\\")]


_PATRONYMIC = re.compile(r"(?:вич|вна|чна|ична|ич|оглы|кызы)$")


def surname_of(name: str | None) -> str | None:
    """The surname in «Фамилия Имя Отчество», «Имя Отчество Фамилия» or «Фамилия И. О.»."""
    words = [w for w in re.split(r"[\s.,]+", name or "") if len(w) > 1]
    if not words:
        return None
    if len(words) >= 3 and _PATRONYMIC.search(words[1].lower()) and not _PATRONYMIC.search(words[2].lower()):
        return words[2]
    return words[0]


def _surname_conditions(surname: str) -> list[ColumnElement[bool]]:
    # ё and е are one letter in names, and SQLite's LIKE folds ASCII only (lower() is Unicode on our connections,
    # router.store): the name is matched in each written form.
    low = surname.lower().replace("ё", "е")
    forms = {low, *(low[:i] + "ё" + low[i + 1:] for i, c in enumerate(low) if c == "е")}
    conditions: list[ColumnElement[bool]] = []
    for form in sorted(forms):
        pattern = _like_escape(form)
        conditions += [
            func.lower(Client.name).like(f"{pattern}%", escape="\\"),
            Client.name.like(f"{pattern[:1].upper()}{pattern[1:]}%", escape="\\"),
            Client.name.like(f"{pattern.upper()}%", escape="\\"),
        ]
    return conditions


def candidate_rows(session: Session, fields: ScanFields, limit: int = 200) -> list[ClientRow]:
    """The clients worth ranking for the letter, without reading the whole directory: by its numbers
    (exact, one digit off, then LIKE on either half of the digits, so a misread digit still finds the
    client), by the phone, and by the surname. In that order when there are more than `limit`: exact
    numbers, numbers one digit off, the phone, the surname, the number halves."""
    exact: list[ColumnElement[bool]] = []
    close: list[ColumnElement[bool]] = []
    loose: list[ColumnElement[bool]] = []
    numbers: tuple[tuple[InstrumentedAttribute[str | None], str | None], ...] = (
        (cast("InstrumentedAttribute[str | None]", Client.contract_number), fields.contract),
        (Client.account_number, fields.account),
    )
    for column, value in numbers:
        same, near, halves = _number_conditions(column, value)
        exact += same
        close += near
        loose += halves
    phone = to_e164(fields.phone)
    by_phone: list[ColumnElement[bool]] = []
    if phone:
        owners = select(ClientIdentity.client_id).where(ClientIdentity.kind == "phone", ClientIdentity.value == phone)
        by_phone.append(Client.id.in_(owners))
    surname = surname_of(fields.sender_name)
    by_name = _surname_conditions(surname) if surname and len(surname) >= 2 else []

    groups = [exact, close, by_phone, by_name, loose]
    every = [condition for group in groups for condition in group]
    if not every:
        return []
    priority = case(*((or_(*group), rank) for rank, group in enumerate(groups) if group), else_=len(groups))
    clients = session.scalars(
        select(Client).where(or_(false(), *every)).order_by(priority, Client.id).limit(limit)
    ).all()
    return [
        ClientRow(
            id=c.id, name=c.name, contract_number=c.contract_number, account_number=c.account_number,
            address=c.address, phones=tuple(i.value for i in c.identities if i.kind == "phone"),
        )
        for c in clients
    ]
