"""The hostile-input corpus (tests/data/hostile): its cases, each with the expected outcome from its entry's
MANIFEST.json, and the bytes to feed (a recipe expanded)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tests.hostile.recipes import expand

CORPUS = Path(__file__).parents[1] / "data" / "hostile"
ENTRIES = ("email", "vk", "ok", "telegram", "rest", "phone", "csv", "scan")
MANIFEST = "MANIFEST.json"
RECIPE_SUFFIX = ".recipe.json"
OUTCOMES = frozenset({"event", "quarantine", "refused", "import"})
MIN_PER_ENTRY = 15
MIN_TOTAL = 200

# Every active-content form a page could execute if it printed a text unescaped (make_corpus.py's XSS, the ones
# that are markup): a page showing any of them verbatim has an injection.
ACTIVE = (
    "<script>alert('xss')</script>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>",
    "' onmouseover='alert(1)'",
    "<iframe src=javascript:alert(1)>",
    "<body onload=alert(1)>",
    "<b>{{config}}</b>",
    "onload=\"alert(1)\"",
    "href='javascript:",
    'href="javascript:',
)


@dataclass(frozen=True)
class Case:
    entry: str
    name: str
    expect: dict[str, Any]

    @property
    def path(self) -> Path:
        return CORPUS / self.entry / self.name

    @property
    def id(self) -> str:
        return f"{self.entry}/{self.name}"

    @property
    def outcome(self) -> str:
        return str(self.expect["expect"])

    @cached_property
    def data(self) -> bytes:
        raw = self.path.read_bytes()
        if self.name.endswith(RECIPE_SUFFIX):
            return expand(json.loads(raw), self.name.removesuffix(RECIPE_SUFFIX))
        return raw


def manifest(entry: str) -> dict[str, dict[str, Any]]:
    loaded: dict[str, dict[str, Any]] = json.loads((CORPUS / entry / MANIFEST).read_text(encoding="utf-8"))
    return loaded


def load_cases() -> list[Case]:
    return [Case(entry, name, expect) for entry in ENTRIES for name, expect in sorted(manifest(entry).items())]


def active_content(page: str) -> list[str]:
    """The corpus's active payloads a rendered page shows verbatim (none, when everything is escaped)."""
    return [fragment for fragment in ACTIVE if fragment in page]
