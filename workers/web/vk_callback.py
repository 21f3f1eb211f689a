"""VK Callback API endpoint (filled in by the vk channel)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
