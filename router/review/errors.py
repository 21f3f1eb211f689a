"""What a refused action is: each error carries a Russian message (`error`) and an English one (`error_en`)."""

from __future__ import annotations


class ReviewError(Exception):
    status = 400

    def __init__(self, error: str, error_en: str) -> None:
        super().__init__(error_en)
        self.error = error
        self.error_en = error_en

    def as_json(self) -> dict[str, str]:
        return {"error": self.error, "error_en": self.error_en}


class NotFound(ReviewError):
    """No such ticket or no such action (404)."""

    status = 404


class Forbidden(ReviewError):
    """The actor may not see the ticket, or their role may not take the action (403)."""

    status = 403


class Conflict(ReviewError):
    """The ticket's stage or state does not allow the action now (409)."""

    status = 409


class InvalidFields(ReviewError):
    """The action's fields are missing or wrong (422); `details` lists pydantic's errors."""

    status = 422

    def __init__(self, error: str, error_en: str, details: list[dict[str, object]] | None = None) -> None:
        super().__init__(error, error_en)
        self.details = details or []
