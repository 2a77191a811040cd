"""Rewrite every encrypted value under the active data key, in batches, resumably.

Each batch is one transaction that also moves the table's checkpoint, so a run killed at any point
resumes after the last committed batch.  Values are rewritten with a conditional UPDATE (``… AND col =
old``): a row an officer edited meanwhile already carries a fresh ciphertext and is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, models, transaction

from backend.core.crypto.fields import EncryptedField
from backend.core.crypto.keyring import get_keyring, token_version
from backend.core.models import ReencryptCheckpoint


@dataclass
class TableResult:
    table: str
    rows: int = 0
    scanned: int = 0
    rewritten: int = 0


def encrypted_models() -> list[tuple[type[models.Model], list[EncryptedField]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda item: item[0]._meta.db_table)


def stale_count(model: type[models.Model], fields: list[EncryptedField], active: int) -> int:
    """Values not yet under ``active`` (reads ciphertext prefixes only; decrypts nothing)."""
    quote = connection.ops.quote_name
    prefix = f"v{active}:"
    clauses = " OR ".join(
        f"({quote(f.column)} IS NOT NULL AND {quote(f.column)} NOT LIKE %s)" for f in fields
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {quote(model._meta.db_table)} WHERE {clauses}",  # noqa: S608
            [prefix + "%"] * len(fields),
        )
        return cursor.fetchone()[0]


def reencrypt_model(
    model: type[models.Model],
    fields: list[EncryptedField],
    *,
    batch_size: int = 1000,
    progress: Callable[[TableResult], None] | None = None,
) -> TableResult:
    keyring = get_keyring(refresh=True)
    active = keyring.active_version
    table = model._meta.db_table
    pk = model._meta.pk
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    checkpoint, _ = ReencryptCheckpoint.objects.get_or_create(
        table=table, target_version=active, defaults={"last_pk": ""}
    )
    result = TableResult(table=table, rewritten=checkpoint.rows_rewritten)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608
        result.rows = cursor.fetchone()[0]
    last_pk = pk.to_python(checkpoint.last_pk) if checkpoint.last_pk else None
    if last_pk is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(pk.column)} <= %s", [last_pk])  # noqa: S608
            result.scanned = cursor.fetchone()[0]
    while True:
        where, params = (f"WHERE {quote(pk.column)} > %s", [last_pk]) if last_pk is not None else ("", [])
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {quote(pk.column)}, {columns} FROM {quote(table)} {where} "  # noqa: S608
                    f"ORDER BY {quote(pk.column)} LIMIT %s",
                    [*params, batch_size],
                )
                rows = cursor.fetchall()
                if not rows:
                    break
                for row in rows:
                    for field, value in zip(fields, row[1:], strict=True):
                        if value is None or token_version(value) == active:
                            continue
                        fresh = keyring.encrypt(keyring.decrypt(value, field.aad()), field.aad())
                        cursor.execute(
                            f"UPDATE {quote(table)} SET {quote(field.column)} = %s "  # noqa: S608
                            f"WHERE {quote(pk.column)} = %s AND {quote(field.column)} = %s",
                            [fresh, row[0], value],
                        )
                        result.rewritten += cursor.rowcount
            last_pk = rows[-1][0]
            result.scanned += len(rows)
            ReencryptCheckpoint.objects.filter(pk=checkpoint.pk).update(
                last_pk=str(last_pk), rows_rewritten=result.rewritten
            )
        if progress:
            progress(result)
    return result
