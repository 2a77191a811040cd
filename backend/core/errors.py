"""Domain errors that the API turns into ``{"code", "message", "details"}`` with the right status.

Messages are Chinese and shown to users; ``details`` carries machine-readable context (never personal data).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class Invalid(DomainError):
    status = 422
    code = "validation_error"


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well formed but the object's state does not allow it (e.g. a refused transition)."""

    status = 409
    code = "conflict"


class Locked(DomainError):
    status = 423
    code = "locked"
