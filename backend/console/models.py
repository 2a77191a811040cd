"""The console's one table: an import between its dry run and its run (导入任务)."""

from __future__ import annotations

from django.db import models

from backend.core.crypto.fields import EncryptedJSONField, EncryptedTextField


class ImportState(models.TextChoices):
    INVALID = "invalid", "检查未通过"
    CHECKED = "checked", "检查通过，待导入"
    RUNNING = "running", "导入中"
    DONE = "done", "已导入"
    FAILED = "failed", "导入失败，未写入"
    EXPIRED = "expired", "已过期"


class ImportJob(models.Model):
    """One uploaded spreadsheet, seen only by the officer who uploaded it.

    Between the dry run and the import its cells are kept here, encrypted like every personal field
    (never in a file or a log), and deleted once the import has run or ``IMPORT_KEEP_HOURS`` passed.
    The report holds row numbers, column headers and Chinese messages."""

    owner = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    filename = EncryptedTextField("文件名")
    state = models.CharField("状态", max_length=8, choices=ImportState.choices)
    total = models.PositiveIntegerField("数据行数", default=0)
    report = EncryptedJSONField("检查报告", default=list)  # [{row, column, message}]
    cells = EncryptedJSONField("待导入数据", null=True, blank=True)
    persons = models.PositiveIntegerField("已导入人员", default=0)
    cases = models.JSONField("已导入案件", default=dict)
    failure = models.CharField("失败原因", max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # Used by the import page (the owner's recent jobs) and the expiry sweep.
        indexes = [models.Index(fields=["owner", "created_at"], name="importjob_by_owner")]

    def __str__(self) -> str:
        return f"ImportJob {self.pk}"
