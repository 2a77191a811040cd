"""Log lines nobody can forge: control bytes escaped, and the request id on every line of a request.

A request brings text into the log (its path, an exception's message quoting a parameter).  A newline in
it would start a line that looks like a record of its own (``…%0a2026-12-08 03:00:00,000 ERROR
anbang.audit …``), and an ESC would drive the terminal of whoever tails the log.  So ``SafeFormatter``
writes each record's message on one line with every C0/C1 control (and DEL, U+2028/9) as ``\\xNN`` /
``\\uNNNN``.  A traceback keeps its own lines, but each is marked as a continuation (``[request id] | …``),
and the exception's message in it is escaped like any message.  Every handler in settings.LOGGING uses it,
and so do gunicorn's error and access logs (``backend.core.gunicorn_logger``).
"""

from __future__ import annotations

import logging
import re
import traceback

from backend.core import request_context

_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    return _CONTROLS.sub(_escaped, text)


def request_id_of(record: logging.LogRecord) -> str:
    """The id of the request being served; Django logs a response's status after the middleware that
    bound it has returned, but hands the request along (``record.request``)."""
    request_id = request_context.current().request_id
    if not request_id:
        request_id = getattr(getattr(record, "request", None), "request_id", "") or ""
    return request_id


def traceback_lines(error: BaseException) -> list[str]:
    """Python's traceback, line by line, with each exception's message (which may quote the request)
    escaped onto one line; chained causes included."""
    return _lines(traceback.TracebackException.from_exception(error), set())


def _lines(te: traceback.TracebackException, seen: set[int]) -> list[str]:
    seen.add(id(te))
    lines: list[str] = []
    if te.__cause__ is not None and id(te.__cause__) not in seen:
        lines += _lines(te.__cause__, seen)
        lines += ["", "The above exception was the direct cause of the following exception:", ""]
    elif te.__context__ is not None and not te.__suppress_context__ and id(te.__context__) not in seen:
        lines += _lines(te.__context__, seen)
        lines += ["", "During handling of the above exception, another exception occurred:", ""]
    if te.stack:
        lines.append("Traceback (most recent call last):")
        lines += "".join(te.stack.format()).splitlines()
    lines.append(escape_controls("".join(te.format_exception_only()).rstrip("\n")))
    for member in getattr(te, "exceptions", None) or ():  # an ExceptionGroup's members
        lines += ["", "Exception group member:", *_lines(member, seen)]
    return lines


class SafeFormatter(logging.Formatter):
    """A ``logging.Formatter`` whose records cannot forge a line; ``%(request_tag)s`` is ``[id] `` inside a
    request and empty outside one."""

    def format(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.getMessage())
        request_id = request_id_of(record)
        record.request_id = request_id or "-"
        record.request_tag = f"[{request_id}] " if request_id else ""
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        more: list[str] = []
        if record.exc_info and record.exc_info[1] is not None:
            more += traceback_lines(record.exc_info[1])
        elif record.exc_text:  # formatted elsewhere: its lines are kept, each marked below
            more += record.exc_text.splitlines()
        if record.stack_info:
            more += record.stack_info.splitlines()
        marker = f"{record.request_tag}| "
        return "\n".join([self.formatMessage(record), *(marker + escape_controls(line) for line in more)])
