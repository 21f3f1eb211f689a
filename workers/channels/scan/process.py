"""The scan channel's intake process (`complaints worker post`): the watched folder of scanned letters.
Each file is OCR'd, handed to INTAKE, and moved to processed/ only after the PubAck; a file that cannot be
read is kept in SHUNT with the reason and moved to rejected/."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from nats.js import JetStreamContext

from channels.base import RawSubmission
from channels.scan.ocr import OcrPool
from channels.scan.watcher import FolderWatcher
from workers.app.service import ChannelProcess
from workers.bus.publish import publish_to_intake
from workers.bus.shunt import record_at_edge
from workers.channels.scan.plugin import FOLDER_STAGE

log = logging.getLogger("complaints.scan")


@dataclass
class ScanFolderProcess(ChannelProcess):
    watcher: FolderWatcher = field(init=False)
    pool: OcrPool | None = field(default=None, init=False)  # one set of OCR processes for every file

    async def open(self, js: JetStreamContext) -> dict[str, Coroutine[Any, Any, None]]:
        config = self.settings.scan
        if config.watch_dir is None:
            raise RuntimeError("no scan folder is configured (COMPLAINTS_SCAN: watch_dir)")

        async def publish(raw: RawSubmission) -> None:
            await publish_to_intake(js, raw)

        async def quarantine(filename: str, reason: str) -> None:
            key = hashlib.sha256(f"{filename}:{reason}".encode()).hexdigest()[:32]
            await record_at_edge(js, FOLDER_STAGE, reason, f"file://{config.watch_dir}/{filename}", b"",
                                 f"scan:{key}")

        self.pool = OcrPool(config.ocr_workers, languages=config.languages, timeout=config.ocr_timeout)
        self.watcher = FolderWatcher(config, self.settings.blobs, publish, quarantine, pool=self.pool)
        log.info("scan folder intake watching %s", config.watch_dir)
        return {"scan-folder": self.watcher.run(self.stopping)}

    async def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
