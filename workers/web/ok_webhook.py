"""OK.ru Bot API webhook endpoint (filled in by the ok channel)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
