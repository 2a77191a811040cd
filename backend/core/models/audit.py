from __future__ import annotations

from django.db import models


class AuditEvent(models.Model):
    """One append-only audit record (审计日志), HMAC-linked to the one before it.

    ``seq`` is gap-free, so a deleted row shows as a missing number as well as a broken link.  ``details``
    holds ids, codes and field names — never plaintext personal data.  UPDATE and DELETE are refused by
    database triggers (backend/core/audit_guard.py).
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    request_id = models.CharField(max_length=64, blank=True, default="")
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [
            # Used by "who touched this record" views and the person-file audit section.
            models.Index(fields=["target_type", "target_id"], name="audit_by_target"),
            models.Index(fields=["actor", "at"], name="audit_by_actor"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"
