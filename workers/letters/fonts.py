"""The DejaVu fonts letters embed (Cyrillic): where they are, and whether they are installed.

Apart from the renderer so a worker can check them at start without importing reportlab (~8 MB of RSS in every
worker process, where few ever render a letter).
"""

from __future__ import annotations

from pathlib import Path

FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_FILES = {FONT: "DejaVuSans.ttf", FONT_BOLD: "DejaVuSans-Bold.ttf"}
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian/Ubuntu: fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Alpine
    Path("/usr/share/fonts/TTF"),  # Arch
)


class FontsMissing(RuntimeError):
    """The DejaVu fonts are not installed (Debian: apt-get install fonts-dejavu-core)."""


def font_file(name: str) -> Path:
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FontsMissing(f"{name} not found in {', '.join(map(str, FONT_DIRS))}: install fonts-dejavu-core")


def check_fonts() -> None:
    """Raises FontsMissing unless both faces are installed."""
    for name in FONT_FILES.values():
        font_file(name)
