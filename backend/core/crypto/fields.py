"""Model fields that encrypt at rest, and the blind-index field that makes them searchable.

Encrypted fields accept no lookups except ``isnull``: a query such as ``name="张三"`` would compare
against random ciphertext and silently find nothing, so it fails loudly instead.  Search goes through a
``BlindIndexField`` declared next to the encrypted one.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.exceptions import FieldError, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.lookups import IsNull

from backend.core.crypto.blind_index import blind_index
from backend.core.crypto.keyring import decrypt_value, encrypt_value


class EncryptedField(models.TextField):
    """Base class: subclasses turn their Python value into bytes and back."""

    def aad(self) -> bytes:
        return f"{self.model._meta.db_table}.{self.column}".encode()

    def encode_plain(self, value: Any) -> bytes:
        raise NotImplementedError

    def decode_plain(self, data: bytes) -> Any:
        raise NotImplementedError

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return encrypt_value(self.encode_plain(self.to_python(value)), self.aad())

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return self.decode_plain(decrypt_value(value, self.aad()))

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return IsNull
        raise FieldError(f"加密字段 {self.name} 不支持 {lookup_name} 查询；请使用对应的盲索引字段")

    def get_transform(self, name: str):
        return None

    def formfield(self, **kwargs: Any):
        return None  # never render ciphertext into a form


class EncryptedTextField(EncryptedField):
    def to_python(self, value: Any) -> str | None:
        return None if value is None else str(value)

    def encode_plain(self, value: str) -> bytes:
        return value.encode("utf-8")

    def decode_plain(self, data: bytes) -> str:
        return data.decode("utf-8")


class EncryptedDateField(EncryptedField):
    def to_python(self, value: Any) -> dt.date | None:
        if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationError(f"日期格式应为 YYYY-MM-DD：{value!r}") from None

    def encode_plain(self, value: dt.date) -> bytes:
        return value.isoformat().encode()

    def decode_plain(self, data: bytes) -> dt.date:
        return dt.date.fromisoformat(data.decode())


class EncryptedJSONField(EncryptedField):
    def to_python(self, value: Any) -> Any:
        return value

    def encode_plain(self, value: Any) -> bytes:
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()

    def decode_plain(self, data: bytes) -> Any:
        return json.loads(data)


class BlindIndexField(models.CharField):
    """HMAC of another field's normalised plaintext, kept in step on every save.

    ``Person.objects.filter(id_number_index=Person.id_number_index.token("110…"))`` is the search;
    see ``token`` below.
    """

    def __init__(
        self, *args: Any, source: str = "", domain: str = "", normalizer: str | None = None, **kwargs: Any
    ):
        self.source = source
        self.domain = domain
        self.normalizer = normalizer
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, domain=self.domain)
        if self.normalizer:
            kwargs["normalizer"] = self.normalizer
        return name, path, args, kwargs

    def token(self, value: str) -> str:
        return blind_index(self.domain, value, normalizer=self.normalizer)

    def pre_save(self, model_instance: models.Model, add: bool) -> str | None:
        plaintext = getattr(model_instance, self.source)
        value = None if plaintext in (None, "") else self.token(str(plaintext))
        setattr(model_instance, self.attname, value)
        return value
