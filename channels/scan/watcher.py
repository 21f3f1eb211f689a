"""The watched folder: the post room's scanner or the fax server drops files in `watch_dir`; each is read,
published, and only then moved to `processed/`. A file that can never be read is quarantined and moved to
`rejected/` with `<name>.reason.txt` beside it. A failed publish leaves the file where it is, for the next poll.

A file is taken only when its size and modification time were the same at the previous poll (a copy still
being written is left alone). Dotfiles and the two subfolders are ignored.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from channels.base import BadSubmission, RawSubmission
from channels.blobs import BlobStore
from channels.scan.config import ScanConfig
from channels.scan.ocr import OcrPool
from channels.scan.submission import scan_submission
from channels.stopping import unless_stopped

log = logging.getLogger(__name__)

PROCESSED = "processed"
REJECTED = "rejected"

Publish = Callable[[RawSubmission], Awaitable[None]]  # returns after the PubAck, raises on failure
Quarantine = Callable[[str, str], Awaitable[None]]  # (filename, reason)


class FolderWatcher:
    def __init__(self, config: ScanConfig, blobs: BlobStore, publish: Publish, quarantine: Quarantine, *,
                 pool: OcrPool | None = None) -> None:
        if config.watch_dir is None:
            raise ValueError("ScanConfig.watch_dir is not set")
        self.config = config
        self.folder: Path = config.watch_dir
        self.blobs = blobs
        self.publish = publish
        self.quarantine = quarantine
        self.pool = pool
        self._seen: dict[str, tuple[int, int]] = {}  # name -> (size, mtime_ns) at the last poll

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; no file, however broken, ends the loop."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:
                log.exception("scan folder %s: poll failed", self.folder)
            await unless_stopped(asyncio.sleep(self.config.poll_interval), stop)

    async def poll_once(self) -> list[str]:
        """Handle every file that is complete; the names handled (published or rejected)."""
        listing = await asyncio.to_thread(self._listing)
        ready = [name for name, state in listing.items() if self._seen.get(name) == state]
        self._seen = listing
        handled: list[str] = []
        for name in sorted(ready):
            try:
                if await self._handle(name):
                    handled.append(name)
                    self._seen.pop(name, None)
            except Exception:
                log.exception("scan folder %s: %s left for the next poll", self.folder, name)
        return handled

    async def _handle(self, name: str) -> bool:
        path = self.folder / name
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            return False  # taken away meanwhile
        try:
            raw = await scan_submission(self.blobs, data, source="folder", filename=name,
                                        received_at=datetime.now(UTC), channel=self.config.channel,
                                        config=self.config, pool=self.pool)
        except BadSubmission as error:
            reason = str(error)
            await self.quarantine(name, reason)
            await asyncio.to_thread(self._reject, path, reason)
            log.warning("scan folder %s: %s rejected: %s", self.folder, name, reason)
            return True
        await self.publish(raw)  # raises: the file stays for the next poll
        await asyncio.to_thread(_move, path, self.folder / PROCESSED)
        log.info("scan folder %s: %s published as %s", self.folder, name, raw.submission_id)
        return True

    def _listing(self) -> dict[str, tuple[int, int]]:
        found: dict[str, tuple[int, int]] = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue  # dotfiles (partial uploads), processed/, rejected/
                stat = entry.stat(follow_symlinks=False)
                found[entry.name] = (stat.st_size, stat.st_mtime_ns)
        return found

    def _reject(self, path: Path, reason: str) -> None:
        moved = _move(path, self.folder / REJECTED)
        moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")


def _move(path: Path, folder: Path) -> Path:
    """`path` into `folder`, under a free name (`name`, `name.1`, ...); the new path."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    n = 0
    while target.exists():
        n += 1
        target = folder / f"{path.name}.{n}"
    os.replace(path, target)
    return target
