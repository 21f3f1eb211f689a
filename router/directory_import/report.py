"""What an import tells its caller: progress while it runs, then the report (with the write counts it adds up)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

# on_progress(phase, done, total); phase is "check" (reading and validating) or "write".
Progress = Callable[[str, int, int], None]


@dataclass(repr=False)
class ImportReport:
    """What an import did. Lines are file lines (the header is line 1)."""

    kind: str
    total: int = 0  # data rows read
    imported: int = 0  # new rows
    updated: int = 0  # existing rows that changed
    unchanged: int = 0  # existing rows already as in the file
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        # Counts only: a broken file can leave a million errors, and asyncio's run() on Python 3.11 formats the
        # repr of its task's result (this report) when it restores the SIGINT handler: the generated repr took
        # 800 MB and seconds there.
        return (f"ImportReport(kind={self.kind!r}, total={self.total}, imported={self.imported}, "
                f"updated={self.updated}, unchanged={self.unchanged}, errors={len(self.errors)}, "
                f"warnings={len(self.warnings)})")

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> int:
        return self.imported + self.updated

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append((line, message))

    def count(self, counts: WriteCounts) -> None:
        self.imported += counts.imported
        self.updated += counts.updated
        self.unchanged += counts.unchanged

    def finish(self) -> ImportReport:
        self.errors.sort(key=lambda item: item[0])
        self.warnings.sort(key=lambda item: item[0])
        return self


@dataclass
class WriteCounts:
    """What a write did; the pipeline adds it to the report once the write has gone through."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0

    def existing_row(self, changed: bool) -> None:
        """Count a row that was already stored: updated if anything in it differed."""
        if changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def add(self, other: WriteCounts) -> None:
        self.imported += other.imported
        self.updated += other.updated
        self.unchanged += other.unchanged
