"""Long answers split at a platform's limit on paragraph, line, then word boundaries (here Telegram's: UTF-16 code
units)."""

from __future__ import annotations

from channels.split import split_message as split_within
from channels.split import utf16_units as utf16_len
from workers.channels.telegram.sender import TEXT_LIMIT as LIMIT


def split_message(text: str) -> list[str]:
    return split_within(text, LIMIT, utf16_len)


def test_short_text_is_one_part() -> None:
    assert split_message("  Ваша претензия принята.  ") == ["Ваша претензия принята."]
    assert split_message("   ") == []


def test_paragraph_boundary_preferred() -> None:
    first, second = "а" * 3000, "б" * 3000
    assert split_message(f"{first}\n\n{second}") == [first, second]


def test_line_then_word_boundaries() -> None:
    lines = "\n".join(["строка " * 50] * 30)  # ~10 500 characters, no paragraph break
    parts = split_message(lines)
    assert len(parts) == 3
    assert all(utf16_len(p) <= LIMIT for p in parts)
    assert all(p.endswith("строка") for p in parts)
    words = " ".join(["слово"] * 2000)
    parts = split_message(words)
    assert all(utf16_len(p) <= LIMIT and p.split(" ")[-1] == "слово" for p in parts)
    assert " ".join(parts) == words


def test_emoji_count_as_two_units_and_are_never_cut_in_half() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units, no spaces
    parts = split_message(text)
    assert [utf16_len(p) for p in parts] == [4096, 6000 - 4096]
    assert "".join(parts) == text


def test_order_and_content_kept() -> None:
    paragraphs = [f"Пункт {i}. " + "текст " * 100 for i in range(40)]
    text = "\n\n".join(paragraphs)
    parts = split_message(text)
    assert len(parts) > 1
    joined = "\n\n".join(parts)
    assert joined.split() == text.split()
