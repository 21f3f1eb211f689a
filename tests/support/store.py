"""Reading the store in tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from workers.app.runtime import Database


async def count(database: Database, model: type, *where: Any) -> int:
    """How many rows of `model` (matching `where`) there are."""
    async with database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)
