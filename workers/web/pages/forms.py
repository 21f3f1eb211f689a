"""The web forms of the review actions (router.review.ACTIONS): each field's Russian label and widget,
and the posted form turned into the action's fields."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from router.review import ActionSpec

# name: (label, widget); widgets: text (textarea), lines (one item a line), select_department,
# select_manager, yes_no, check
FIELD_WIDGETS: dict[str, tuple[str, str]] = {
    "text": ("Текст клиенту", "text"),
    "note": ("Комментарий", "text"),
    "department": ("Отдел", "select_department"),
    "login": ("Менеджер", "select_manager"),
    "founded": ("Претензия обоснованна?", "yes_no"),
    "causes": ("Причины", "text"),
    "conclusion": ("Выводы / что получает клиент", "text"),
    "recommendations": ("Рекомендации по улучшению процессов (по одной в строке)", "lines"),
    "culprits_measures": ("Меры в отношении виновных (на согласование генеральному директору)", "text"),
    "needs_director": ("Нужно согласование генерального директора", "check"),
    "urgent_measures": ("Срочные меры", "text"),
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    widget: str
    required: bool


@dataclass(frozen=True)
class ActionForm:
    name: str
    title: str
    fields: list[FormField]
    values: dict[str, str]
    open: bool = False  # shown unfolded: it was posted and refused


def fields_of(spec: ActionSpec) -> list[FormField]:
    found = []
    for name, info in spec.fields.model_fields.items():
        label, widget = FIELD_WIDGETS.get(name, (name, "text"))
        found.append(FormField(name, label, widget, info.is_required()))
    return found


def parse(spec: ActionSpec, form: Mapping[str, Any]) -> dict[str, Any]:
    """Only the action's own fields; an empty optional field is left out (its default applies)."""
    values: dict[str, Any] = {}
    for field in fields_of(spec):
        raw = form.get(field.name)
        value = raw.strip() if isinstance(raw, str) else ""
        if field.widget == "check":
            values[field.name] = bool(value)
        elif field.widget == "lines":
            values[field.name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif field.widget == "yes_no":
            if value in ("true", "false"):
                values[field.name] = value == "true"
            elif field.required:
                values[field.name] = None  # pydantic names the missing choice
        elif value or field.required:
            values[field.name] = value
    return values
