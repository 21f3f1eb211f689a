"""The fields each action takes (pydantic, `extra="forbid"`): what the web form or the REST body sends."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
Login = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Department = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Item = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Fields(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoFields(Fields):
    pass


class LoginFields(Fields):
    login: Login


class OptionalTextFields(Fields):
    text: Text | None = None  # None: the pre-filled text


class TextFields(Fields):
    text: Text


class NoteFields(Fields):
    note: Text


class OptionalNoteFields(Fields):
    note: Text | None = None


class DepartmentFields(Fields):
    department: Department
    note: Text | None = None


class OptionalDepartmentFields(Fields):
    department: Department | None = None  # None: back to the decision
    note: Text | None = None


class ConcludeFields(Fields):
    causes: Text
    conclusion: Text
    recommendations: list[Item] = []
    culprits_measures: Text | None = None  # need the director's approval


class ProposeFields(Fields):
    founded: bool
    conclusion: Text
    recommendations: list[Item] = []


class DecideFields(Fields):
    founded: bool
    conclusion: Text  # what the client gets
    needs_director: bool = False
    urgent_measures: Text | None = None
