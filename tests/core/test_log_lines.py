"""Every log line is one line: what a request brings (its path, an exception's message) cannot start a
forged line nor carry terminal escapes, and every line a request writes — a 500's traceback included —
carries its request id."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FORGED_PATH = "/x%0a2026-12-08%2003:00:00,000%20ERROR%20anbang.audit%20FORGED-LINE%0d"
RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


@contextmanager
def product_log() -> Iterator[io.StringIO]:
    """What the product's own log handler (settings.LOGGING "console") writes, as it writes it."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    written = io.StringIO()
    previous = handler.setStream(written)
    try:
        yield written
    finally:
        handler.setStream(previous)


def records(text: str) -> list[list[str]]:
    """The log as records: a line that starts with a timestamp opens one, other lines continue it."""
    out: list[list[str]] = []
    for line in text.splitlines():
        if RECORD_START.match(line) or not out:
            out.append([line])
        else:
            out[-1].append(line)
    return out


def test_a_newline_in_the_path_cannot_forge_a_log_line():
    with product_log() as log:
        response = Client().get(FORGED_PATH, headers={"X-Request-ID": "probe-forge-0001"})
    assert response.status_code in {302, 404}
    text = log.getvalue()
    assert "FORGED-LINE" in text, text  # the request was logged …
    assert not any(line.startswith("2026-12-08 03:00:00,000") for line in text.splitlines()), text
    # … escaped (Django escapes its "Not Found" path itself, as \\n), on its line, with the request id.
    assert re.search(r"\[probe-forge-0001\] Not Found: /x(\\n|\\x0a)2026-12-08 03:00:00,000 ERROR", text), (
        text
    )
    assert all(len(record) == 1 for record in records(text)), text


def test_terminal_escapes_and_other_control_bytes_are_escaped(settings):
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    with product_log() as log:  # our own line names the path: "unhandled error in GET /…"
        Client().get("/failing-api/echo/x%1b%5b31mred%07%c2%9b%e2%80%a8%09end")
    text = log.getvalue()
    assert "unhandled error in GET /failing-api/echo/x\\x1b[31mred\\x07\\x9b\\u2028\\x09end" in text, text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text)


def test_every_line_of_a_500_from_the_api_carries_its_request_id_and_the_message_is_escaped(settings):
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    with product_log() as log:
        response = Client().get("/failing-api/explode")
    assert response.status_code == 500
    request_id = response.json()["details"]["request_id"]
    assert request_id and response["X-Request-ID"] == request_id
    text = log.getvalue()
    lines = text.splitlines()
    traceback_lines = [line for line in lines if "Traceback" in line or "File " in line]
    assert traceback_lines, text
    assert all(request_id in line for line in lines if line.strip()), text
    assert not any(
        "FORGED-LINE" in line and RECORD_START.match(line.split("FORGED")[0][-24:]) for line in lines
    )
    assert (
        "RuntimeError: boom\\x0a2026-12-08 03:00:00,000 ERROR anbang.audit FORGED-LINE\\x0d\\x1b[2J" in text
    )
    assert "\x1b" not in text


def test_a_500_from_a_page_keeps_its_traceback_with_the_cause_each_line_marked(settings):
    settings.ROOT_URLCONF = "tests.core.failing_urls"
    with product_log() as log:
        response = Client(raise_request_exception=False).get(
            "/failing-page/", headers={"X-Request-ID": "probe-page-0500"}
        )
    assert response.status_code == 500
    text = log.getvalue()
    (record,) = [r for r in records(text) if "ERROR" in r[0]]
    assert "probe-page-0500" in record[0] and len(record) > 5
    assert all("probe-page-0500" in line for line in record), text
    body = "\n".join(record)
    assert "LookupError: first\\x0afailure" in body
    assert "The above exception was the direct cause of the following exception:" in body
    assert "ValueError: boom\\x0a2026-12-08 03:00:00,000 ERROR anbang.audit FORGED-LINE" in body


def test_every_handler_the_settings_configure_writes_through_the_safe_formatter(settings):
    from backend.core.logs import SafeFormatter

    formatters = settings.LOGGING["formatters"]
    for name, handler in settings.LOGGING["handlers"].items():
        assert formatters[handler["formatter"]]["()"] == "backend.core.logs.SafeFormatter", name
    configured = [h for h in logging.getLogger().handlers if h.get_name() in settings.LOGGING["handlers"]]
    assert configured and all(isinstance(h.formatter, SafeFormatter) for h in configured)
