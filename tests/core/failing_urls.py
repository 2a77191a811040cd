"""The product's URLs plus two that fail on purpose (an API operation and a console-style page), for the
log tests: a 500's traceback must carry its request id and cannot forge a line."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI

from backend.core.http.errors import install_error_handlers
from backend.urls import urlpatterns as product_urls

FORGED = "boom\n2026-12-08 03:00:00,000 ERROR anbang.audit FORGED-LINE\r\x1b[2J"

failing_api = NinjaAPI(urls_namespace="failing-api", docs_url=None, openapi_url=None)
install_error_handlers(failing_api)


@failing_api.get("/explode", auth=None)
def explode(request: HttpRequest):
    raise RuntimeError(FORGED)


@failing_api.get("/echo/{word}", auth=None)
def echo(request: HttpRequest, word: str):
    raise RuntimeError("cannot echo")


def explode_page(request: HttpRequest):
    try:
        raise LookupError("first\nfailure")
    except LookupError as exc:
        raise ValueError(FORGED) from exc


urlpatterns = [path("failing-api/", failing_api.urls), path("failing-page/", explode_page), *product_urls]
