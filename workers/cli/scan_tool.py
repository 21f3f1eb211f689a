"""`complaints normalize --channel scan FILE`: what a scanned letter becomes — the ComplaintEvent (OCR text,
mean confidence, extracted fields, whether a person must verify it) and the client directory's ranked
candidates with the router's decision, read from the configured database (nothing is written)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from channels.base import BadSubmission
from channels.blobs import MemoryBlobStore
from normalizer.config import NormalizerConfig
from normalizer.pipeline import normalize
from router.scan_match import candidate_rows, decide, rank_candidates
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.channels.registry import normalizer_steps


def normalize_scan(file: Path, settings: Settings) -> dict[str, Any]:
    """The printed document; raises BadSubmission for a file the scan channel refuses."""
    received_at = datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    return asyncio.run(_normalize_scan(file.read_bytes(), file.name, received_at, settings))


async def _normalize_scan(data: bytes, filename: str, received_at: datetime, settings: Settings) -> dict[str, Any]:
    # Imported here: Pillow, pypdfium2 and pytesseract cost every process that imports the CLI (the workers too).
    from channels.scan.submission import scan_submission

    blobs = MemoryBlobStore()  # the original and the page images stay in memory
    raw = await scan_submission(blobs, data, source="upload", filename=filename, received_at=received_at,
                                config=settings.scan)
    event = normalize(raw, config=NormalizerConfig.from_settings(settings), channel_steps=normalizer_steps(),
                      blobs=blobs)
    facts = event.scan
    assert facts is not None, "a scan's event carries its scan facts"
    document: dict[str, Any] = {"event": event.model_dump(mode="json")}
    database = Database.from_settings(settings)
    try:
        candidates = await database.run_transaction(
            lambda session: rank_candidates(facts.fields, candidate_rows(session, facts.fields)))
    except (SQLAlchemyError, OSError) as exc:  # no directory to compare with: the event alone
        document["candidates_error"] = f"справочник клиентов недоступен: {type(exc).__name__}"
        return document
    finally:
        await database.close()
    decision = decide(facts.fields, candidates)
    document["candidates"] = [asdict(candidate) for candidate in candidates]
    document["decision"] = asdict(decision)
    document["needs_verification"] = facts.needs_verification or not decision.accept
    return document


__all__ = ["BadSubmission", "normalize_scan"]
