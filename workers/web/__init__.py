"""The gateway's web app: operator UI (phone channel), REST API (web channel), health check."""

from workers.web.app import create_app

__all__ = ["create_app"]
