"""The fields of a scanned Russian letter, read out of its OCR text (pure: regular expressions and heuristics).

OCR text is noisy: junk lines of punctuation, Latin letters inside Cyrillic words, and letters inside
numbers (O for 0, l/I/| for 1, З for 3). Numbers are read from a copy of the text where such letters
inside digit runs are turned into digits (same length, so positions still match the original), and
keywords from a copy where Latin look-alikes inside Cyrillic words are turned into Cyrillic.

Everything found is a hint: the router verifies it against the client directory (router.scan_match).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from normalizer.config import NormalizerConfig
from normalizer.event import ScanFields
from normalizer.phones import phones_in_text

# --- OCR clean-up ------------------------------------------------------------------------------------------

_ALNUM = re.compile(r"[^\W_]")


def is_junk_line(line: str) -> bool:
    """Only punctuation, or single letters or digits among noise ("|", "—~", ". ,", "i", "' l ; ."): OCR junk."""
    stripped = line.strip()
    if not stripped:
        return False
    letters = _ALNUM.findall(stripped)
    if len(letters) <= 1:
        return True
    longest = max(len(_ALNUM.findall(token)) for token in stripped.split())
    return longest <= 1 and len(letters) <= 3


def drop_junk_lines(text: str) -> str:
    """The text without OCR junk lines (blank lines kept, at most one in a row)."""
    lines: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if line.strip() and is_junk_line(line):
            continue
        if not line.strip() and (not lines or not lines[-1].strip()):
            continue
        lines.append(line.rstrip())
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


# Letters OCR reads in place of digits, and dashes in place of the hyphen (one character for one).
_DIGIT_LOOKALIKES = str.maketrans({
    "O": "0", "o": "0", "О": "0", "о": "0",
    "l": "1", "I": "1", "|": "1", "і": "1", "І": "1",
    "З": "3", "з": "3",
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-",
})
_LOOKALIKE_CHARS = "OoОоlI|іІЗз"
_DIGITISH = f"0-9{_LOOKALIKE_CHARS}"
_SEPARATORS = "()\\-–—‐‑−"
# A run that may be (part of) a number: digits, look-alikes and separators, with no other letter around it.
_RUN = re.compile(rf"(?<![^\W\d_])\+?[{_DIGITISH}{_SEPARATORS}]*[{_DIGITISH}][{_DIGITISH}{_SEPARATORS}]*(?![^\W\d_])")


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def numbers_fixed(text: str) -> str:
    """The text with look-alike letters inside numbers turned into digits ("l2-OOOOO1" -> "12-000001").

    A run is converted when it holds a real digit, or when it has a separator or no Cyrillic letter and
    the run next to it is a number ("+7 (916) lll-OO-Ol"); "ООО" or the preposition "о" stay words.
    """
    runs = list(_RUN.finditer(text))
    convert = [_has_digit(m.group(0)) for m in runs]
    for i, m in enumerate(runs):
        body = m.group(0)
        if convert[i] or sum(1 for c in body if c in _LOOKALIKE_CHARS) < 2:
            continue
        if not re.search(r"[()\-–—]", body) and re.search(r"[ОоЗзіІ]", body):
            continue
        neighbours = [j for j in (i - 1, i + 1) if 0 <= j < len(runs)]
        if any((convert[j] or _has_digit(runs[j].group(0))) and _only_space_between(text, m, runs[j])
               for j in neighbours):
            convert[i] = True
    out = list(text)
    for m, yes in zip(runs, convert, strict=True):
        if yes:
            out[m.start():m.end()] = list(m.group(0).translate(_DIGIT_LOOKALIKES))
    return "".join(out)


def _only_space_between(text: str, a: re.Match[str], b: re.Match[str]) -> bool:
    first, second = (a, b) if a.start() < b.start() else (b, a)
    return not text[first.end():second.start()].strip()


# Latin letters that look like Cyrillic ones, fixed inside words that are otherwise Cyrillic.
_LATIN_TO_CYRILLIC = str.maketrans("aceopxyABCEHKMOPTX", "асеорхуАВСЕНКМОРТХ")
_MIXED_WORD = re.compile(r"\b(?=\w*[а-яёА-ЯЁ])(?=\w*[a-zA-Z])\w+\b")


def words_fixed(text: str) -> str:
    """Latin look-alikes inside Cyrillic words made Cyrillic ("дoговор" -> "договор"); same length."""
    return _MIXED_WORD.sub(lambda m: m.group(0).translate(_LATIN_TO_CYRILLIC), text)


# --- sender name -------------------------------------------------------------------------------------------

_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
_FULL_NAME = rf"{_WORD}[ \t]+{_WORD}[ \t]+{_WORD}"
_INITIALS_NAME = rf"{_WORD}[ \t]+[А-ЯЁ]\.[ \t]?[А-ЯЁ]\."
_PATRONYMIC = re.compile(r"(?:вич|вна|чна|ична|инична|ич|вны|чны|ича|вича|оглы|кызы)$")
_LABELLED_NAME = re.compile(
    rf"(?i:\b(?:заявитель|ф\.?\s?и\.?\s?о\.?|от\s+кого|отправитель|абонент))\s*[:\-–—]?\s*"
    rf"(?P<name>{_FULL_NAME}|{_INITIALS_NAME})")
_FROM_NAME = re.compile(rf"(?:^|\n)[ \t]*(?i:от)[ \t:]+(?i:(?:абонента|заявителя|гражданин[а]?|гражданки|клиента)\s+)?"
                        rf"(?P<name>{_FULL_NAME}|{_INITIALS_NAME})")
_SIGNED = re.compile(rf"(?i:с\s+уважением|подпись)[\s,:_.\-]*(?P<name>{_FULL_NAME}|{_INITIALS_NAME})")
_ANY_FULL_NAME = re.compile(rf"(?<![А-Яа-яЁё]){_FULL_NAME}(?![а-яё])")
_ANY_INITIALS = re.compile(rf"(?<![А-Яа-яЁё]){_INITIALS_NAME}")


def _looks_like_person(name: str) -> bool:
    words = name.split()
    return any(_PATRONYMIC.search(w.lower()) for w in words[1:]) or bool(re.search(r"[А-ЯЁ]\.", name))


def nominative(name: str) -> str:
    """A full name after «от» is in the genitive ("Беловой Анны Сергеевны"): its nominative by the endings
    of Russian names ("Белова Анна Сергеевна"; "Иванова Ивана Ивановича" -> "Иванов Иван Иванович").
    A name already in the nominative is returned as it is."""
    words = name.split()
    if len(words) != 3:
        return name
    patronymic = words[2]
    low = patronymic.lower()
    if low.endswith(("вича", "ьича", "ича")):  # a man's genitive
        surname, first = words[0], words[1]
        if re.search(r"(ов|ев|ёв|ин|ын)а$", surname):
            surname = surname[:-1]
        elif re.search(r"(ский|цкий|ого)$", surname) and surname.endswith("ого"):
            surname = surname[:-3] + "ий"
        if first.endswith("я") and not first.endswith("ья"):
            first = first[:-1] + "й"
        elif first.endswith("а") and not first.lower().endswith(("ита", "ила")):
            first = first[:-1]
        return f"{surname} {first} {patronymic[:-1]}"
    if low.endswith(("вны", "чны")):  # a woman's genitive
        surname, first = words[0], words[1]
        if re.search(r"(ск|цк)ой$", surname):
            surname = surname[:-2] + "ая"
        elif surname.endswith("ой"):
            surname = surname[:-2] + "а"
        if first.endswith("ии"):
            first = first[:-1] + "я"
        elif first.endswith("ьи"):
            first = first[:-1] + "я"
        elif re.search(r"[гкхжшчщ]и$", first):
            first = first[:-1] + "а"
        elif first.endswith("ы"):
            first = first[:-1] + "а"
        return f"{surname} {first} {patronymic[:-1]}а"
    return name


def sender_name(text: str, envelope_sender: str | None = None) -> str | None:
    """The sender's full name: labelled («Заявитель:», «ФИО:», «От кого:»), after «от» in the header,
    at the signature, any «Фамилия Имя Отчество» in the letter, else the name the post room typed."""
    labelled = _LABELLED_NAME.search(text)
    if labelled and _looks_like_person(labelled.group("name")):
        return nominative(labelled.group("name"))
    head = _FROM_NAME.search(text)
    if head and _looks_like_person(head.group("name")):
        return nominative(head.group("name"))
    signed = _SIGNED.search(text)
    if signed:
        return nominative(signed.group("name"))
    tail = "\n".join([line for line in text.split("\n") if line.strip()][-6:])
    for pattern in (_ANY_FULL_NAME, _ANY_INITIALS):
        found = [m.group(0) for m in pattern.finditer(tail) if _looks_like_person(m.group(0))]
        if found:
            return nominative(found[-1])
    found = [m.group(0) for m in _ANY_FULL_NAME.finditer(text) if _looks_like_person(m.group(0))]
    if found:
        return nominative(found[0])
    if envelope_sender and envelope_sender.strip():
        return " ".join(envelope_sender.split())[:200]
    return None


# --- numbers -----------------------------------------------------------------------------------------------

# A contract number the configured pattern missed since words stand between the keyword and the number
# ("по договору на оказание услуг связи № 12-000001"): validated against the configured pattern.
_LOOSE_CONTRACT = re.compile(r"(?i:договор\w*)[^\n№#]{0,80}?(?:№|N|#)\s*([0-9][0-9\-/]{2,30}[0-9])")
_LOOSE_ACCOUNT = re.compile(r"(?i:лицев\w*\s+сч[её]т\w*|л/с)[^\n№#\d]{0,40}?(?:№|N|#)?\s*(\d[\d ]{6,16}\d)")


def _configured(pattern: re.Pattern[str], text: str) -> list[str]:
    return [m.group(1) if m.groups() else m.group(0) for m in pattern.finditer(text)]


def _validated(pattern: re.Pattern[str], keyword: str, value: str) -> str | None:
    m = pattern.search(f"{keyword} № {value}")
    if m is None:
        return None
    found = m.group(1) if m.groups() else m.group(0)
    return found if found.replace(" ", "") == value.replace(" ", "") else None


def contract_numbers(numbers: str, config: NormalizerConfig) -> list[str]:
    """Distinct contract numbers in the number-fixed text, in order."""
    found = _configured(config.contract_pattern, numbers)
    for m in _LOOSE_CONTRACT.finditer(numbers):
        value = _validated(config.contract_pattern, "договор", m.group(1))
        if value:
            found.append(value)
    return list(dict.fromkeys(found))


def account_numbers(numbers: str, config: NormalizerConfig) -> list[str]:
    found = _configured(config.account_pattern, numbers)
    for m in _LOOSE_ACCOUNT.finditer(numbers):
        value = m.group(1).replace(" ", "")
        if _validated(config.account_pattern, "лицевой счёт", value):
            found.append(value)
    return list(dict.fromkeys(found))


# --- address, date, sums -----------------------------------------------------------------------------------

_ADDRESS_LABEL = re.compile(
    r"(?i:(?:почтовый\s+)?адрес\w*(?:\s+(?:проживания|регистрации|для\s+ответа|для\s+переписки))?\s*:|"
    r"проживающ\w*|зарегистрированн?\w*)(?:\s+(?i:по\s+адресу))?\s*:?\s*(?P<addr>[^\n]+)")
_SERVICE_ADDRESS = re.compile(
    r"(?i:адрес\w*\s+(?:подключения|оказания\s+услуг\w*|установки|предоставления\s+услуг\w*)|по\s+адресу)"
    r"\s*:?\s*(?P<addr>[^\n]+)")
_ADDRESS_MARKS = re.compile(r"(?i:(?<![а-яё])(?:г|ул|д|кв|пр|просп|пер|корп|стр|пос|обл|р-н|ш)\.)")
_ADDRESS_END = re.compile(r"(?i:(?<=\d)\.\s+(?=[А-ЯЁ][а-яё]+\s)|[;!?]|\.\s+(?=(?:я|мы|прошу|у\s+меня|в\s|с\s)))")


# A house or flat number followed by running text: the address ends at the number.
_NUMBER_THEN_TEXT = re.compile(
    r"(\d+[а-яА-Я]?(?:/\d+[а-яА-Я]?)?)\s+(?=[а-яё]{2,})(?!(?:кв|корп|стр|под|эт|офис|оф|лит|пом)(?![а-яё]))")


def _trim_address(value: str) -> str | None:
    value = _ADDRESS_END.split(value, maxsplit=1)[0]
    cut = _NUMBER_THEN_TEXT.search(value)
    if cut:
        value = value[:cut.end(1)]
    value = value.strip(" \t,.;:—-")
    if len(_ADDRESS_MARKS.findall(value)) == 0 and not re.search(r"\d", value):
        return None
    return value[:300] if len(value) >= 5 else None


def _same_address(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^0-9а-яa-z]", "", s.lower().replace("ё", "е"))
    return norm(a) == norm(b) or norm(a) in norm(b) or norm(b) in norm(a)


def addresses(text: str) -> tuple[str | None, str | None]:
    """(the sender's address, the service's address when the letter names another one)."""
    home: str | None = None
    for m in _ADDRESS_LABEL.finditer(text):
        prefix = text[max(0, m.start() - 40):m.start() + 40].lower()
        if re.search(r"подключени|оказани|установк|предоставлени", prefix):
            continue
        home = _trim_address(m.group("addr"))
        if home:
            break
    if home is None:
        for line in text.split("\n"):
            if len(_ADDRESS_MARKS.findall(line)) >= 2:
                start = _ADDRESS_MARKS.search(line)
                home = _trim_address(line[start.start():] if start else line)
                if home:
                    break
    where: str | None = None
    for m in _SERVICE_ADDRESS.finditer(text):
        value = _trim_address(m.group("addr"))
        if value and (home is None or not _same_address(value, home)):
            where = value
            break
    return home, where


_MONTHS = {
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
    "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12,
}
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})(?![\d.]\d)")
_WORD_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({'|'.join(_MONTHS)})\s+(\d{{4}})", re.I)
_DATE_LABEL = re.compile(r"(?i:дата)\s*:?\s*$")


def _date(day: str, month: int, year: str) -> date | None:
    y = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return date(y, month, int(day))
    except ValueError:
        return None


def letter_date(numbers: str) -> date | None:
    """The letter's date: one labelled «Дата», else one standing on its own line (by the signature: the
    last), else the first in the text. Read from the number-fixed text."""
    found: list[tuple[int, date, bool, bool]] = []
    for m in _NUMERIC_DATE.finditer(numbers):
        value = _date(m.group(1), int(m.group(2)), m.group(3))
        if value:
            found.append((m.start(), value, *_date_context(numbers, m.start(), m.end())))
    for m in _WORD_DATE.finditer(numbers):
        value = _date(m.group(1), _MONTHS[m.group(2).lower()], m.group(3))
        if value:
            found.append((m.start(), value, *_date_context(numbers, m.start(), m.end())))
    found.sort(key=lambda item: item[0])
    for _, value, labelled, _ in found:
        if labelled:
            return value
    alone = [value for _, value, _, own_line in found if own_line]
    if alone:
        return alone[-1]
    return found[0][1] if found else None


def _date_context(text: str, start: int, end: int) -> tuple[bool, bool]:
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    before = text[line_start:start]
    labelled = bool(_DATE_LABEL.search(before))
    rest = line.replace(text[start:end], "", 1)
    own_line = len(re.sub(r"(?i)\b(?:г|года?)\b\.?|[\s.,:]|дата", "", rest)) <= 2
    return labelled, own_line


_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ \u00a0]\d{3})+|\d+)(?:[.,](\d{1,2}))?\s*(?:\([^)\n]{0,80}\)\s*)?"
    r"(?:руб(?:л[а-яё]*)?\.?|р\.|₽|rub\b)(?:\s*(\d{1,2})\s*коп\w*\.?)?", re.I)


def amounts(numbers: str) -> list[str]:
    """Sums of money as «1500 руб.» («1500.50 руб.» with kopecks), in order."""
    found: list[str] = []
    for m in _AMOUNT.finditer(numbers):
        rubles = re.sub(r"\s", "", m.group(1))
        kopecks = m.group(2) or m.group(3)
        found.append(f"{int(rubles)}.{int(kopecks):02d} руб." if kopecks else f"{int(rubles)} руб.")
    return list(dict.fromkeys(found))


# --- the claim: sentences ----------------------------------------------------------------------------------

_ABBREVIATION = re.compile(
    r"(?i:(?<![а-яёa-z])(?:г|ул|д|кв|ст|руб|р|п|пп|тел|им|пр|просп|пер|корп|стр|т\.е|т\.к|т\.д|т\.п|обл|коп|"
    r"ч|см|н|м)\.|(?<![а-яё])[А-ЯЁ]\.)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[«\"(]?[А-ЯЁA-Z0-9])")
_HEADER_LINE = re.compile(
    r"(?i:^(?:кому|от(?:\s+кого)?|заявитель|ф\.?\s?и\.?\s?о\.?|адрес\w*|тел\w*|телефон\w*|e-?mail|дата|"
    r"договор\w*|лицев\w*|л/с|генеральн\w+|директор\w*|руководител\w+|в\s+(?:ооо|пао|ао)|"
    r"ооо|пао|ао|подпись|с\s+уважением)\b)")


def sentences(text: str) -> list[str]:
    """The letter's sentences: OCR line breaks inside a sentence joined, abbreviations not split on."""
    paragraphs: list[str] = []
    current = ""
    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        continues = bool(current) and not re.search(r"[.!?:]$", current) and bool(re.match(r"[а-яё(«\d]", line))
        if continues:
            current = f"{current[:-1]}{line}" if current.endswith("-") else f"{current} {line}"
        else:
            if current:
                paragraphs.append(current)
            current = line
    if current:
        paragraphs.append(current)
    found: list[str] = []
    for paragraph in paragraphs:
        pending = ""
        for piece in _SENTENCE_END.split(paragraph):
            pending = f"{pending} {piece}" if pending else piece
            if not _ABBREVIATION.search(pending):
                found.append(pending.strip())
                pending = ""
        if pending:
            found.append(pending.strip())
    return [s for s in found if s]


_PROBLEM = re.compile(
    r"(?i:не\s+работа|нет\s+(?:интернет|связи|сигнал)|отсутств|списа|обрыв|пропада|не\s+приш|некачествен|"
    r"плох\w+\s+(?:качеств|связ)|не\s+могу|не\s+удаётся|не\s+удается|отключ|ошибочн|неправомерн|завыш|"
    r"двойн\w+\s+списан|не\s+выполн|нарушен|претензи|жалоб|медленн|скорост)")
_GROUNDS_STRONG = re.compile(r"(?i:закон\w*|стать\w*|(?<![а-яё])ст\.\s*\d|пункт\w*|(?<![а-яё])п\.\s*\d|"
                             r"гк\s+рф|зозпп|в\s+соответствии|согласно|на\s+основании)")
_GROUNDS_CONTRACT = re.compile(r"(?i:договор\w*)")
_DEMAND_STRONG = re.compile(r"(?i:прошу|требую|верните|настаиваю)")
_DEMAND = re.compile(
    r"(?i:прошу|требую|верните|вернуть|перерасч[её]т|пересчита|компенсир|возмест|расторгн|устранит|"
    r"восстановит|настаиваю)")
MAX_CLAIM_PART = 500


def _body(parts: list[str]) -> list[str]:
    return [s for s in parts if not _HEADER_LINE.match(s) and len(s.split()) >= 2]


def _joined(parts: list[str], limit: int = 2) -> str | None:
    if not parts:
        return None
    return " ".join(parts[:limit])[:MAX_CLAIM_PART]


def claim(text: str) -> tuple[str | None, str | None, str | None]:
    """(what, grounds, demand): the problem sentence, the sentences citing the contract or a law, and the
    sentences saying what the client demands."""
    body = _body(sentences(text))
    demand = [s for s in body if _DEMAND_STRONG.search(s)] or [s for s in body if _DEMAND.search(s)]
    problems = [s for s in body if _PROBLEM.search(s) and s not in demand] or [s for s in body if _PROBLEM.search(s)]
    what = problems[:1] or [s for s in body if s not in demand and not _GROUNDS_STRONG.search(s)][:1]
    strong = [s for s in body if _GROUNDS_STRONG.search(s)]
    contract = [s for s in body if _GROUNDS_CONTRACT.search(s) and s not in strong and s not in what]
    grounds = strong + contract
    return _joined(what, 1), _joined(grounds), _joined(demand)


# --- everything --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Extraction:
    """The fields, and every number found (more than one distinct number is a conflict)."""

    fields: ScanFields
    contracts: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    letter_date: date | None = None


def extract(text: str, config: NormalizerConfig | None = None, envelope_sender: str | None = None) -> Extraction:
    """Read the fields out of a letter's OCR text (junk lines are dropped first)."""
    config = config or NormalizerConfig()
    clean = words_fixed(drop_junk_lines(text))
    numbers = numbers_fixed(clean)
    contracts = contract_numbers(numbers, config)
    accounts = account_numbers(numbers, config)
    phones = phones_in_text(numbers)
    home, where = addresses(numbers)
    when = letter_date(numbers)
    sums = amounts(numbers)
    what, grounds, demand = claim(clean)
    demand_sums = amounts(numbers_fixed(demand)) if demand else []
    fields = ScanFields(
        sender_name=sender_name(clean, envelope_sender),
        contract=contracts[0] if contracts else None,
        account=accounts[0] if accounts else None,
        phone=phones[0] if phones else None,
        address=home,
        date=when.strftime("%d.%m.%Y") if when else None,
        claim_what=what,
        claim_amount=next(iter(demand_sums or sums), None),
        claim_where=where,
        claim_grounds=grounds,
        claim_demand=demand,
    )
    return Extraction(fields=fields, contracts=contracts, accounts=accounts, phones=phones, letter_date=when)
