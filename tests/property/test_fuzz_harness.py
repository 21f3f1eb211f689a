"""The atheris harness (fuzz/mime_normaliser.py) imported plainly, without atheris, and run over its seed corpus
(fuzz/corpus/mime, including every crasher it found): so the harness cannot rot, and each crash stays fixed."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
SEEDS = sorted((FUZZ / "corpus" / "mime").glob("*.eml"))


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mime_normaliser_harness", FUZZ / "mime_normaliser.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HARNESS = harness()


def test_corpus_has_real_mails_and_the_crashers() -> None:
    assert len(SEEDS) >= 12
    assert any(path.name.startswith("crash_") for path in SEEDS)


@pytest.mark.parametrize("path", SEEDS, ids=[path.name for path in SEEDS])
def test_seed_runs_clean(path: Path) -> None:
    HARNESS.test_one_input(path.read_bytes())


def test_a_crash_is_reported_not_swallowed() -> None:
    # The harness only forgives BadSubmission: an empty mail is refused, an accepted one is checked.
    HARNESS.test_one_input(b"")
    result = HARNESS.normalise_mail((FUZZ / "corpus" / "mime" / "forwarded_inline.eml").read_bytes())
    assert result is not None
    event, _blobs = result
    assert event.text
