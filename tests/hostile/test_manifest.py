"""The corpus cannot shrink silently: every file has an expectation, every expectation a file, every entry point
its share of inputs, every recipe a known kind."""

from __future__ import annotations

import json
from collections import Counter

from tests.hostile.corpus import (
    CORPUS,
    ENTRIES,
    MANIFEST,
    MIN_PER_ENTRY,
    MIN_TOTAL,
    OUTCOMES,
    RECIPE_SUFFIX,
    load_cases,
    manifest,
)
from tests.hostile.recipes import KINDS

COMMITTED_CAP = 2 * 1024 * 1024


def test_every_file_has_an_expectation_and_every_expectation_a_file() -> None:
    for entry in ENTRIES:
        files = {path.name for path in (CORPUS / entry).iterdir() if path.name != MANIFEST}
        assert files == set(manifest(entry)), entry


def test_every_entry_point_has_its_share() -> None:
    counts = Counter(case.entry for case in load_cases())
    assert set(counts) == set(ENTRIES)
    assert all(count >= MIN_PER_ENTRY for count in counts.values()), counts
    assert sum(counts.values()) >= MIN_TOTAL, counts


def test_expectations_are_specific() -> None:
    for case in load_cases():
        expect = case.expect
        assert expect["expect"] in OUTCOMES, case.id
        assert expect.get("note"), case.id
        if expect["expect"] == "refused":
            assert 400 <= expect["status"] < 500, case.id
        if expect["expect"] == "quarantine":
            assert expect["reason"], case.id
        if expect["expect"] == "import":
            assert isinstance(expect["stored"], dict) and isinstance(expect["error_lines"], list), case.id
        if case.name.endswith(RECIPE_SUFFIX):
            assert json.loads(case.path.read_bytes())["kind"] in KINDS, case.id


def test_xss_reaches_every_entry_point() -> None:
    for entry in ENTRIES:
        names = [case.name for case in load_cases() if case.entry == entry and case.name.startswith("xss_")]
        assert len(names) >= 5, (entry, names)


def test_the_committed_corpus_stays_small() -> None:
    size = sum(path.stat().st_size for path in CORPUS.rglob("*") if path.is_file())
    assert size < COMMITTED_CAP, size
