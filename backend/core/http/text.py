"""Text no database can store is refused before an operation runs.

PostgreSQL refuses U+0000 in text, and a lone surrogate (JSON may spell one: ``"\\ud800"``) cannot be encoded
as UTF-8 for any driver, export or log: either reached the database and was a 500 on PostgreSQL, or was
stored on SQLite to break a later CSV.  Every validated parameter (path, query, body, nested) is checked
after authentication and validation, so the answer is the usual 422 with the field named.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from pydantic import BaseModel

from backend.core.errors import Invalid

MESSAGE = "不能包含空字符（U+0000）或无效的 Unicode 字符"


def storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _refusals(value: Any, loc: list[str]) -> list[dict]:
    if isinstance(value, BaseModel):
        value = value.model_dump(by_alias=True)
    if isinstance(value, str):
        return [] if storable(value) else [{"loc": loc, "type": "string_unstorable", "message": MESSAGE}]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            found += _refusals(str(key), [*loc, "<key>"]) + _refusals(item, [*loc, str(key)])
        return found
    if isinstance(value, list | tuple | set | frozenset):
        return [error for index, item in enumerate(value) for error in _refusals(item, [*loc, str(index)])]
    return []


def refuse_unstorable_text(view: Callable) -> Callable:
    """Operation decorator (``api.add_decorator``): a 422 for any parameter holding such text."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        fields = [error for name, value in kwargs.items() for error in _refusals(value, [name])]
        if fields:
            raise Invalid("请求参数不合法", {"fields": fields})
        return view(request, *args, **kwargs)

    return checked
