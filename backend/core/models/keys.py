from __future__ import annotations

from django.db import models


class DataKey(models.Model):
    """A data-encryption key, wrapped (AES-GCM) by the master key.  The highest version is active."""

    version = models.PositiveIntegerField(primary_key=True)
    wrapped_key = models.BinaryField()
    wrapped_by = models.CharField("主密钥指纹", max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version"]

    def __str__(self) -> str:
        return f"数据密钥 v{self.version}"


class KeyFingerprint(models.Model):
    """Fingerprints of the blind-index and audit keys, so a wrong key stops the process at start."""

    purpose = models.CharField(max_length=32, primary_key=True)
    fingerprint = models.CharField(max_length=16)

    def __str__(self) -> str:
        return f"{self.purpose}:{self.fingerprint}"


class ReencryptCheckpoint(models.Model):
    """How far ``reencrypt`` got in a table towards a key version, so an interrupted run resumes."""

    table = models.CharField(max_length=128)
    target_version = models.PositiveIntegerField()
    last_pk = models.CharField(max_length=64)
    rows_rewritten = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["table", "target_version"], name="reencrypt_once_per_table")
        ]

    def __str__(self) -> str:
        return f"{self.table} → v{self.target_version} @ {self.last_pk}"
