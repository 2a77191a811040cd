"""The console's transfer pages (included by backend/console/urls.py): the spreadsheet import.  Exports
are each list page's own URL with ``?format=xlsx`` (backend/console/exports.py)."""

from __future__ import annotations

from django.urls import path

from backend.console.views import transfer

urlpatterns: list = [
    path("import/", transfer.import_page, name="import"),
    path("import/template.xlsx", transfer.template_file, {"fmt": "xlsx"}, name="import_template_xlsx"),
    path("import/template.csv", transfer.template_file, {"fmt": "csv"}, name="import_template_csv"),
    path("import/upload", transfer.upload, name="import_upload"),
    path("import/<int:job_id>/", transfer.job_page, name="import_job"),
    path("import/<int:job_id>/run", transfer.run, name="import_run"),
    path("import/<int:job_id>/progress", transfer.progress, name="import_progress"),
]
