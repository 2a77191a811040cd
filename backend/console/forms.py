"""Console forms validated by the API's own input schemas, with the API's messages beside each field.

A form posts flat strings; ``read_form`` shapes them into what the schema expects (empty → absent, ``a.b``
→ nested object, ``phones.0.number`` → a list of objects, declared checkboxes → true/false) and validates
with the same ninja ``Schema`` the API route uses (each app's ``inputs.py``).  Errors come out as
``{field: message}`` in the API's words (``backend.core.http.errors.field_errors``); a ``DomainError`` that
names its field (``details["field"]``) is shown beside that field too, anything else above the form.

``form_page`` is the whole GET/POST round of a form page: render, validate, run the action, and on success
flash the message and redirect (POST → redirect → GET); on failure render the same page with status 422,
the values as typed and every error in place.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from ninja import Schema
from pydantic import ValidationError

from backend.core.errors import DomainError
from backend.core.http.errors import field_errors
from backend.core.http.text import MESSAGE as UNSTORABLE
from backend.core.http.text import storable

TRUE = {"on", "true", "1", "yes"}


@dataclass
class FormErrors:
    """Per-field messages (``fields``) and the ones that belong to the whole form (``top``)."""

    fields: dict[str, str] = field(default_factory=dict)
    top: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.fields or self.top)

    def add(self, name: str | None, message: str) -> None:
        if name and name not in self.fields:
            self.fields[name] = message
        elif not name:
            self.top.append(message)

    def from_domain(self, exc: DomainError, known: Iterable[str] = ()) -> None:
        """A refusal from an action: beside its field when it names one the form shows, else on top."""
        name = exc.details.get("field") if isinstance(exc.details, dict) else None
        known = set(known)
        self.add(name if name and (not known or name in known) else None, exc.message)


def shape(
    post: QueryDict,
    *,
    checkboxes: Iterable[str] = (),
    skip: Iterable[str] = (),
    json_fields: Iterable[str] = (),
) -> dict[str, Any]:
    """Flat form values → the nested dict a schema validates.  Empty strings are left out (the schema's
    default or ``missing`` applies); a list field's rows that are wholly empty are dropped."""
    skipped = {"csrfmiddlewaretoken", *skip}
    data: dict[str, Any] = {}
    for key in post:
        if key in skipped or key.startswith("_"):
            continue
        values = [v.strip() for v in post.getlist(key)]
        value: Any = values if key.endswith("[]") else values[-1]
        if key in json_fields:  # a structure a script filled in (a zone drawn on the map): JSON text
            value = _json_or_text(value)
        if value in ("", []):
            continue
        _put(data, key.removesuffix("[]").split("."), value)
    for name in checkboxes:
        _put(data, name.split("."), post.get(name, "").strip().lower() in TRUE)
    return _lists(data)


def _json_or_text(value: str) -> Any:
    """Parsed JSON, or the text itself when it is not JSON (the schema then says what it expected)."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _put(data: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
        if not isinstance(data, dict):
            return  # ``a`` and ``a.b`` both posted: keep the first, the schema reports the shape
    data[path[-1]] = value


def _lists(value: Any) -> Any:
    """``{"0": {...}, "1": {...}}`` (from ``phones.0.number``) → a list in index order."""
    if not isinstance(value, dict):
        return value
    value = {k: _lists(v) for k, v in value.items()}
    if value and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int) if value[k] not in ({}, None)]
    return value


def read_form(
    schema: type[Schema],
    post: QueryDict,
    *,
    checkboxes: Iterable[str] = (),
    skip: Iterable[str] = (),
    json_fields: Iterable[str] = (),
) -> tuple[Schema | None, FormErrors]:
    """Validate a posted form with an API input schema: ``(payload, errors)``, payload ``None`` on errors."""
    errors = FormErrors()
    for key in post:  # as the API (backend/core/http/text.py): PostgreSQL stores no U+0000
        if not all(storable(value) for value in post.getlist(key)):
            errors.add(key.removesuffix("[]"), UNSTORABLE)
    if errors:
        return None, errors
    try:
        data = shape(post, checkboxes=checkboxes, skip=skip, json_fields=json_fields)
        return schema.model_validate(data), errors
    except ValidationError as exc:
        for error in field_errors(exc.errors(), drop_wrapper=False):
            errors.add(".".join(error["loc"]) or None, error["message"])
        return None, errors


@dataclass
class Form:
    """What a form page needs: the template and its context, the schema, and what to do with the payload.

    ``run(payload)`` performs the action and returns where to go next (a URL); a ``DomainError`` it raises
    is shown beside its field.  ``fields`` lists the names the template shows (a refusal naming another
    field goes on top); empty = any."""

    template: str
    context: dict[str, Any]
    schema: type[Schema]
    run: Callable[[Any], str]
    done: str
    checkboxes: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    json_fields: tuple[str, ...] = ()  # posted as JSON text (see ``shape``)
    initial: dict[str, Any] = field(default_factory=dict)  # values shown on GET (an edit form's current ones)


def form_page(request: HttpRequest, form: Form) -> HttpResponse:
    context = {**form.context, "values": request.POST if request.method == "POST" else form.initial}
    if request.method != "POST":
        return render(request, form.template, {**context, "errors": FormErrors()})
    payload, errors = read_form(
        form.schema, request.POST, checkboxes=form.checkboxes, skip=form.skip, json_fields=form.json_fields
    )
    if payload is not None:
        try:
            target = form.run(payload)
        except DomainError as exc:
            errors.from_domain(exc, form.fields)
        else:
            messages.success(request, form.done)
            return redirect(target)
    return render(request, form.template, {**context, "errors": errors}, status=422)
