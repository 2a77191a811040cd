"""The audit chain: ``record_audit`` appends, ``verify_chain`` checks.

Every action is a member of ``AuditAction`` (backend/core/audit_actions.py), declared once.

Each event's hash is HMAC-SHA256(audit key, previous hash || canonical JSON of the event).  Appends are
serialised — by SQLite's IMMEDIATE write lock, or a transaction-scoped advisory lock on PostgreSQL — so
``seq`` is gap-free and the chain is linear.  ``details`` may hold ids, codes, counts and field names;
plaintext personal data (names, ID numbers, phones, addresses, health or criminal details) never goes in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from backend.core import request_context
from backend.core.audit_actions import AuditAction
from backend.core.crypto.keyring import get_keyring
from backend.core.models import AuditEvent, User

GENESIS = "0" * 64
# Any 64-bit constant will do; it names the lock that serialises appends on PostgreSQL.
_PG_AUDIT_LOCK = 0x616E62616E67  # "anbang"
_SCALARS = (str, int, bool, type(None))


def _clean_details(value: Any, path: str = "details") -> Any:
    """Only JSON types that survive a jsonb round trip unchanged (no floats), so hashes stay stable."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_clean_details(v, f"{path}[]") for v in value]
    if isinstance(value, dict):
        return {str(k): _clean_details(v, f"{path}.{k}") for k, v in value.items()}
    raise TypeError(
        f"审计详情 {path} 只能包含字符串、整数、布尔值、日期、列表与对象，实际为 {type(value).__name__}"
    )


def _canonical(event: AuditEvent) -> bytes:
    at = event.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    fields = [
        event.seq, at, event.actor_id, event.actor_label, event.action, event.target_type,
        event.target_id, event.request_id, event.source_ip, event.details,
    ]  # fmt: skip
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def compute_hash(event: AuditEvent, prev_hash: str, key: bytes) -> str:
    return hmac.new(key, prev_hash.encode("ascii") + b"\n" + _canonical(event), hashlib.sha256).hexdigest()


def target_ref(target: models.Model | tuple[str, Any] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


def _chain_head() -> tuple[int, str] | None:
    """The last event's (seq, hash): asked on every audited request, so in SQL written once rather than
    a queryset built and compiled each time."""
    with connection.cursor() as cursor:
        cursor.execute(_head_sql())
        return cursor.fetchone()


@functools.cache
def _head_sql() -> str:
    meta, quote = AuditEvent._meta, connection.ops.quote_name
    table, seq, hash_ = (
        quote(meta.db_table),
        quote(meta.get_field("seq").column),
        quote(meta.get_field("hash").column),
    )
    return f"SELECT {seq}, {hash_} FROM {table} ORDER BY {seq} DESC LIMIT 1"  # noqa: S608 (the model's own names)


def declared_action(action: AuditAction | str) -> AuditAction:
    """The member for ``action``; ValueError for a value the enumeration does not declare."""
    try:
        return AuditAction(action)
    except ValueError:
        raise ValueError(f"未声明的审计事项 {action!r}（见 backend/core/audit_actions.py）") from None


def record_audit(
    *,
    actor: User | None,
    action: AuditAction,
    target: models.Model | tuple[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction when there is one.

    ``action`` must be declared in ``AuditAction``: anything else is refused before a row is written."""
    action = declared_action(action)
    context = request_context.current()
    target_type, target_id = target_ref(target)
    key = get_keyring().root.audit
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_AUDIT_LOCK])
        last = _chain_head()
        seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
        event = AuditEvent(
            seq=seq,
            at=timezone.now(),
            actor=actor,
            actor_label=actor_label or (actor.username if actor else context.via or "system"),
            action=action.value,
            target_type=target_type,
            target_id=target_id,
            request_id=context.request_id,
            source_ip=context.source_ip,
            details=_clean_details(details or {}),
            prev_hash=prev_hash,
        )
        event.hash = compute_hash(event, prev_hash, key)
        event.save(force_insert=True)
    return event


def record_audits(
    *, actor: User | None, events: list[tuple[AuditAction, models.Model | tuple[str, Any] | None, dict]]
) -> int:
    """Append many events of one actor at once, each exactly as ``record_audit`` would write it: for a bulk
    action (the spreadsheet import writes one ``person.create`` per file), chained in Python and inserted
    in batches under the same lock instead of one head query and one insert per event."""
    context = request_context.current()
    key = get_keyring().root.audit
    label = actor.username if actor else context.via or "system"
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_AUDIT_LOCK])
        last = _chain_head()
        seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
        rows = []
        for action, target, details in events:
            target_type, target_id = target_ref(target)
            seq += 1
            event = AuditEvent(
                seq=seq, at=timezone.now(), actor=actor, actor_label=label,
                action=declared_action(action).value, target_type=target_type, target_id=target_id,
                request_id=context.request_id, source_ip=context.source_ip,
                details=_clean_details(details or {}), prev_hash=prev_hash,
            )  # fmt: skip
            event.hash = prev_hash = compute_hash(event, prev_hash, key)
            rows.append(event)
        AuditEvent.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    event_id: int | None
    reason: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def iter_events(batch: int = 5000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(*, batch: int = 5000, progress=None) -> ChainReport:
    """Recompute every link in order; report the first event that does not match."""
    key = get_keyring().root.audit
    expected_seq, prev_hash, checked = 1, GENESIS, 0
    for event in iter_events(batch):
        if event.seq != expected_seq:
            reason = f"序号不连续：应为 {expected_seq}，实际为 {event.seq}（其间的记录被删除）"
            return ChainReport(
                checked, expected_seq - 1, prev_hash, ChainBreak(expected_seq, event.pk, reason)
            )
        if event.prev_hash != prev_hash:
            return ChainReport(
                checked, event.seq - 1, prev_hash, ChainBreak(event.seq, event.pk, "前一哈希不匹配")
            )
        if not hmac.compare_digest(compute_hash(event, prev_hash, key), event.hash):
            return ChainReport(
                checked,
                event.seq - 1,
                prev_hash,
                ChainBreak(event.seq, event.pk, "内容与哈希不符（记录被修改）"),
            )
        prev_hash, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
        if progress and checked % 100_000 == 0:
            progress(checked)
    return ChainReport(checked, expected_seq - 1, prev_hash, None)
