"""Who is asking, from where, under which request id — for audit rows and logs without passing it around."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    source_ip: str | None = None
    via: str = ""  # "session", "token", "command:<name>", "gateway" …


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "anbang_request",
    default=RequestContext(),  # noqa: B039 (frozen dataclass: immutable)
)


def current() -> RequestContext:
    return _current.get()


def bind(context: RequestContext) -> contextvars.Token:
    return _current.set(context)


def reset(token: contextvars.Token) -> None:
    _current.reset(token)
