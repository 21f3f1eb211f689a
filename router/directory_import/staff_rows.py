"""One line of staff.csv (the HR export)."""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from router.directory_import.cells import check_login, email_address, flag
from router.directory_import.rows import Row
from router.directory_import.vocabulary import DEPARTMENTS, ROLE_NAMES, ROLES, Role, choice, loose_key


class StaffRow(Row):
    """One line of staff.csv."""

    login: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    role: Role
    department: str = Field(min_length=1, max_length=64)
    deputy_login: str | None = Field(default=None, max_length=64)
    active: bool = True
    email: str | None = Field(default=None, max_length=320)
    password: str | None = Field(default=None, repr=False)

    KEY_NAME = ("логин", "login")

    def key(self) -> str:
        return self.login

    @field_validator("login", "deputy_login", mode="before")
    @classmethod
    def _logins(cls, value: Any, info: ValidationInfo) -> Any:
        return check_login(value, str(info.field_name))

    @field_validator("role", mode="before")
    @classmethod
    def _role(cls, value: Any) -> Any:
        return choice(ROLE_NAMES, value, "роль", "role", ", ".join(ROLES))

    @field_validator("department", mode="before")
    @classmethod
    def _department(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return DEPARTMENTS.get(loose_key(value), value.strip().lower())

    @field_validator("active", mode="before")
    @classmethod
    def _active(cls, value: Any) -> Any:
        return flag(value)

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> Any:
        return email_address(value) if isinstance(value, str) else value

    def staff_fields(self) -> dict[str, Any]:
        """The stored columns; the password is hashed separately."""
        return self.model_dump(exclude={"password"})


STAFF_COLUMNS: tuple[str, ...] = StaffRow.columns()
STAFF_REQUIRED: frozenset[str] = StaffRow.required_columns()
