"""A model that exists only in the test suite, to exercise every encrypted field type."""

from __future__ import annotations

from django.db import models

from backend.core.crypto.fields import (
    BlindIndexField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)


class SecretRecord(models.Model):
    name = EncryptedTextField(null=True)
    name_index = BlindIndexField(source="name", domain="name")
    id_number = EncryptedTextField(null=True)
    id_number_index = BlindIndexField(source="id_number", domain="id_number")
    birth_date = EncryptedDateField(null=True)
    history = EncryptedJSONField(null=True)
    note = EncryptedTextField(null=True)

    def __str__(self) -> str:
        return f"SecretRecord {self.pk}"
