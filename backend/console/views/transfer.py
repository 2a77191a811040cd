"""批量导入: download the template, upload a spreadsheet (checked at once: the dry run, which writes
nothing), read the per-row report, then 确认导入 — run in a background thread while the page polls its
progress — all or nothing (``backend.people.actions.imports``).

The upload is held in memory only (never a temporary file: ``MemoryOnlyUpload``), size-capped before it is
read; between the dry run and the import its cells wait in the job row, encrypted, and are deleted once the
import has run or ``IMPORT_KEEP_HOURS`` passed.  A job is its uploader's own: anyone else gets 404.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import threading

from django.conf import settings
from django.core.cache import caches
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import close_old_connections, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from backend.core.errors import DomainError
from backend.core.policy import may
from backend.people.actions.imports import ImportRefused, check_import, import_rows
from backend.people.transfer.template import template_csv, template_xlsx_rows

from ..exports import XLSX
from ..models import ImportJob, ImportState
from .common import staff_page

logger = logging.getLogger("anbang.console")
REPORT_SHOWN = 500  # rows of the report on the page; the rest are counted
STALE_SECONDS = 300  # a running import whose progress has not moved this long has died (nothing written)


def _denied(request: HttpRequest) -> HttpResponse | None:
    if may(request.user, "person.import"):
        return None
    return render(request, "console/denied.html", {"message": "仅社区矫正机构工作人员可以批量导入", "nav": "people"},
                  status=403)  # fmt: skip


def _job(request: HttpRequest, job_id: int) -> ImportJob:
    return get_object_or_404(ImportJob.objects.filter(owner=request.user), pk=job_id)  # another's → 404


def _expire_old() -> None:
    cutoff = timezone.now() - dt.timedelta(hours=settings.IMPORT_KEEP_HOURS)
    ImportJob.objects.filter(created_at__lt=cutoff, cells__isnull=False).exclude(
        state=ImportState.RUNNING
    ).update(cells=None, state=ImportState.EXPIRED)


@staff_page
def import_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    if denied := _denied(request):
        return denied
    jobs = ImportJob.objects.filter(owner=request.user).order_by("-created_at")[:10]
    return render(request, "console/import.html", {
        "jobs": jobs, "error": error, "max_mb": settings.IMPORT_MAX_BYTES / 1024 / 1024,
        "max_rows": settings.IMPORT_MAX_ROWS, "nav": "people",
    }, status=status)  # fmt: skip


@staff_page
def template_file(request: HttpRequest, fmt: str) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(
            ("\ufeff" + template_csv()).encode("utf-8"), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(template_xlsx_rows(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-template.{fmt}"'
    return response


class MemoryOnlyUpload(FileUploadHandler):
    """Keeps the file in memory whatever its size (Django's default spills large ones to /tmp in plain
    text) and stops reading past the limit."""

    def __init__(self, request=None, limit: int = 0):
        super().__init__(request)
        self.limit, self.too_big, self.buffer = limit, False, io.BytesIO()

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.too_big = True
            raise StopUpload(connection_reset=False)
        self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(self.buffer, self.field_name, self.file_name, self.content_type, file_size,
                                    self.charset, self.content_type_extra)  # fmt: skip


def _too_big() -> str:
    return f"文件过大：上限 {settings.IMPORT_MAX_BYTES / 1024 / 1024:.0f} MB（约 {settings.IMPORT_MAX_ROWS} 行），请分批导入"


@csrf_exempt  # the upload handler must be set before anything reads the body; CSRF is checked below
@staff_page
def upload(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("/console/import/")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.IMPORT_MAX_BYTES + 64 * 1024:  # refused unread
        return import_page(request, error=_too_big(), status=413)
    handler = MemoryOnlyUpload(request, settings.IMPORT_MAX_BYTES)
    request.upload_handlers = [handler]
    return _checked_upload(request, handler)


@csrf_protect
def _checked_upload(request: HttpRequest, handler: MemoryOnlyUpload) -> HttpResponse:
    if denied := _denied(request):
        return denied
    upload_file = request.FILES.get("file")
    if handler.too_big:
        return import_page(request, error=_too_big(), status=413)
    if upload_file is None:
        return import_page(request, error="请选择要上传的文件（.xlsx 或 .csv）", status=422)
    _expire_old()
    name = (upload_file.name or "upload")[:100]
    try:
        checked = check_import(request.user, upload_file.read(), name)
    except DomainError as exc:
        return import_page(request, error=exc.message, status=422)
    errors = [e.as_dict() for e in checked.errors]
    if checked.total == 0:
        errors = [{"row": 0, "column": "", "message": "文件中没有数据行"}]
    ok = not errors
    job = ImportJob.objects.create(
        owner=request.user, filename=name, state=ImportState.CHECKED if ok else ImportState.INVALID,
        total=checked.total, report=errors, cells=checked.cells if ok else None,
    )  # fmt: skip
    return redirect(f"/console/import/{job.pk}/")


@staff_page
def job_page(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    report = job.report or []
    rows_with_errors = len({e["row"] for e in report})
    return render(request, "console/import_job.html", {
        "job": job, "report": report[:REPORT_SHOWN], "more": max(0, len(report) - REPORT_SHOWN),
        "rows_with_errors": rows_with_errors, "States": ImportState, "nav": "people",
    })  # fmt: skip


def _progress_key(job_id: int) -> str:
    return f"import:{job_id}"


def _set_progress(job_id: int, stage: str, done: int, total: int) -> None:
    share = {"check": (0, 50), "write": (50, 50), "done": (100, 0)}.get(stage, (0, 0))
    percent = share[0] + (share[1] * done // total if total else 0)
    caches["progress"].set(
        _progress_key(job_id), {"stage": stage, "done": done, "total": total, "percent": percent,
                                "at": timezone.now().timestamp()}, timeout=3600,
    )  # fmt: skip


def run_job(job_id: int) -> None:
    """The import itself: every row, or none."""
    job = ImportJob.objects.select_related("owner").get(pk=job_id)
    try:
        result = import_rows(by=job.owner, cells=[(n, c) for n, c in job.cells or []],
                             progress=lambda stage, done, total: _set_progress(job_id, stage, done, total))  # fmt: skip
    except ImportRefused as exc:
        job.state, job.failure = ImportState.FAILED, exc.message[:300]
        job.report = [e.as_dict() for e in exc.errors]
    except DomainError as exc:
        job.state, job.failure = ImportState.FAILED, f"{exc.message}；未写入任何数据"[:300]
    except Exception:
        logger.exception("import job %s failed", job_id)  # the rows never reach a log line
        job.state, job.failure = ImportState.FAILED, "导入时发生内部错误，未写入任何数据"
    else:
        job.state, job.persons, job.cases = ImportState.DONE, result.persons, result.cases
        _set_progress(job_id, "done", result.persons, result.persons)
    job.cells, job.finished_at = None, timezone.now()
    job.save(update_fields=["state", "failure", "report", "persons", "cases", "cells", "finished_at"])


def _in_thread(job_id: int) -> None:
    """``run_job`` in a thread of its own, with its own database connection, closed at the end."""
    close_old_connections()
    try:
        run_job(job_id)
    finally:
        connection.close()


@require_POST
@staff_page
def run(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job(request, job_id)
    if denied := _denied(request):
        return denied
    claimed = ImportJob.objects.filter(pk=job.pk, state=ImportState.CHECKED).update(state=ImportState.RUNNING)
    if claimed == 1:  # a second click, or a second tab, starts nothing
        _set_progress(job.pk, "check", 0, job.total)
        if settings.IMPORT_IN_BACKGROUND:
            threading.Thread(target=_in_thread, args=(job.pk,), name=f"import-{job.pk}", daemon=True).start()
        else:
            run_job(job.pk)
    return redirect(f"/console/import/{job.pk}/")


@staff_page
def progress(request: HttpRequest, job_id: int) -> JsonResponse:
    job = _job(request, job_id)
    state = caches["progress"].get(_progress_key(job.pk)) or {
        "stage": "",
        "done": 0,
        "total": job.total,
        "percent": 0,
    }
    if job.state == ImportState.RUNNING and timezone.now().timestamp() - state.get("at", 0) > STALE_SECONDS:
        # The worker died mid-import: its transaction never committed, so nothing was written.
        if ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(
            state=ImportState.FAILED, failure="导入中断（服务重启），未写入任何数据", cells=None
        ):
            job.refresh_from_db()
    if job.state == ImportState.DONE:
        state = {**state, "percent": 100, "done": job.total}
    return JsonResponse({"state": job.state, "label": job.get_state_display(), "failure": job.failure,
                         "done": state.get("done", 0), "total": job.total, "percent": state.get("percent", 0),
                         "stage": state.get("stage", "")})  # fmt: skip
