"""Telegram Bot API webhook endpoint (filled in by the telegram channel)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
