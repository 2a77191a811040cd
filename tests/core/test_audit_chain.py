from __future__ import annotations

import io
import itertools
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from backend.core.audit import GENESIS, record_audit, verify_chain
from backend.core.audit_actions import AuditAction
from backend.core.audit_guard import remove_guards
from backend.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def append(n: int) -> list[AuditEvent]:
    return [
        record_audit(actor=None, action=AuditAction.DB_BACKUP, target=("testapp.thing", i), details={"i": i})
        for i in range(n)
    ]


def test_events_are_linked_and_the_chain_verifies():
    events = append(5)
    assert events[0].prev_hash == GENESIS
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(events))
    report = verify_chain()
    assert report.ok and report.checked == 5 and report.head_hash == events[-1].hash


def test_update_and_delete_are_refused_by_the_database():
    append(2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(action="test.forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE core_auditevent SET details = '{}' WHERE seq = 1")
    assert AuditEvent.objects.count() == 2


def test_an_event_edited_with_raw_sql_is_reported_by_verify_audit():
    append(6)
    remove_guards(connection)  # the attacker has DB access; the HMAC chain must still catch it
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET action = 'test.forged' WHERE seq = 4")
    report = verify_chain()
    assert not report.ok and report.first_break.seq == 4 and report.checked == 3
    with pytest.raises(
        CommandError, match=r"审计链在第 4 条处断开（id=\d+，.*test\.forged）：内容与哈希不符"
    ):
        call_command("verify_audit")


def test_a_deleted_event_is_reported_as_a_gap():
    append(5)
    remove_guards(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq = 3")
    report = verify_chain()
    assert report.first_break.seq == 3 and "序号不连续" in report.first_break.reason


def test_an_event_resealed_without_the_audit_key_breaks_the_next_link():
    events = append(4)
    remove_guards(connection)
    # Rewriting a row and its own hash with a guessed key still leaves the next row's prev_hash stale.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE core_auditevent SET hash = %s WHERE seq = 2", ["f" * 64])
    assert verify_chain().first_break.seq == 2
    assert events[2].prev_hash == events[1].hash


def test_a_truncated_tail_is_caught_against_a_saved_head(capsys):
    append(5)
    call_command("verify_audit")
    head = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    assert head.startswith("5:")
    remove_guards(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq >= 4")
    with pytest.raises(CommandError, match="审计记录被截断"):
        call_command("verify_audit", "--expect-head", head)


def test_details_refuse_types_that_would_not_hash_stably():
    with pytest.raises(TypeError, match="审计详情"):
        record_audit(actor=None, action=AuditAction.DB_BACKUP, details={"ratio": 0.5})


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_many_threads_keep_one_gap_free_chain():
    def worker():
        try:
            for i in range(10):
                record_audit(actor=None, action=AuditAction.DB_BACKUP, details={"i": i})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 61))
    assert verify_chain().ok


def test_an_emptied_chain_fails_when_the_nightly_job_has_recorded_a_head(settings, tmp_path):
    from backend.supervision.scheduler import audit_head

    settings.AUDIT_HEADS_FILE = tmp_path / "audit-heads.log"
    call_command("verify_audit", stdout=io.StringIO())  # a fresh install: nothing recorded, nothing to miss
    append(3)
    audit_head()  # what the nightly job does
    call_command("verify_audit", stdout=io.StringIO())
    remove_guards(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")
    assert verify_chain().ok  # an empty chain has no broken link…
    with pytest.raises(CommandError, match=r"审计链为空.*已记录的链头 3:"):
        call_command("verify_audit")  # …but the recorded head says there were three


def test_a_truncated_tail_fails_against_the_recorded_head_without_being_told(settings, tmp_path):
    from backend.supervision.scheduler import audit_head

    settings.AUDIT_HEADS_FILE = tmp_path / "audit-heads.log"
    append(5)
    audit_head()
    remove_guards(connection)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE seq >= 4")
    with pytest.raises(CommandError, match="审计记录被截断"):
        call_command("verify_audit")
    kept = tmp_path / "heads-kept-elsewhere.log"
    kept.write_text("2026-12-01T02:30:00+08:00 2:" + AuditEvent.objects.get(seq=2).hash + "\n")
    call_command(
        "verify_audit", "--heads-file", str(kept), stdout=io.StringIO()
    )  # a copy kept off the machine
    kept.write_text("garbage\n")
    with pytest.raises(CommandError, match="链头文件"):
        call_command("verify_audit", "--heads-file", str(kept))
