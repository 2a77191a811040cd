from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection

from backend.core.crypto.keyring import DecryptionError, get_keyring, reset_keyring_cache, token_version
from backend.core.crypto.root_keys import KeyConfigError
from backend.core.models import DataKey, KeyFingerprint
from tests.testapp.models import SecretRecord

pytestmark = pytest.mark.django_db


def raw(record: SecretRecord, column: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM testapp_secretrecord WHERE id = %s", [record.pk])
        return cursor.fetchone()[0]


def write_raw(record: SecretRecord, column: str, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE testapp_secretrecord SET {column} = %s WHERE id = %s", [value, record.pk])


def test_text_date_and_json_fields_round_trip():
    record = SecretRecord.objects.create(
        name="王某某（测试）", birth_date=dt.date(1990, 2, 28), history=[{"级别": "严管", "自": "2026-01-01"}]
    )
    again = SecretRecord.objects.get(pk=record.pk)
    assert again.name == "王某某（测试）"
    assert again.birth_date == dt.date(1990, 2, 28)
    assert again.history == [{"级别": "严管", "自": "2026-01-01"}]


def test_stored_values_are_versioned_ciphertext_not_plaintext():
    record = SecretRecord.objects.create(name="测试姓名", note="测试备注")
    stored = raw(record, "name")
    assert stored.startswith("v1:")
    assert "测试姓名" not in stored
    # Same plaintext twice gives different ciphertext (random nonce), so equal values do not show.
    assert raw(SecretRecord.objects.create(name="测试姓名"), "name") != stored


def test_tampered_ciphertext_raises_instead_of_returning_garbage():
    record = SecretRecord.objects.create(name="测试姓名")
    version, blob = raw(record, "name").split(":")
    flipped = bytearray(base64.b64decode(blob))
    flipped[-1] ^= 0x01
    write_raw(record, "name", f"{version}:{base64.b64encode(bytes(flipped)).decode()}")
    with pytest.raises(DecryptionError):
        SecretRecord.objects.get(pk=record.pk)


def test_ciphertext_copied_into_another_column_does_not_decrypt():
    record = SecretRecord.objects.create(name="测试姓名", note="备注")
    write_raw(record, "note", raw(record, "name"))
    with pytest.raises(DecryptionError, match=r"testapp_secretrecord\.note"):
        SecretRecord.objects.get(pk=record.pk)


def test_error_message_names_the_column_but_never_the_value():
    record = SecretRecord.objects.create(name="测试姓名", note="备注")
    write_raw(record, "note", raw(record, "name"))
    with pytest.raises(DecryptionError) as caught:
        SecretRecord.objects.get(pk=record.pk)
    assert "测试姓名" not in str(caught.value)


def test_lookups_on_encrypted_fields_fail_loudly():
    with pytest.raises(FieldError, match="盲索引"):
        list(SecretRecord.objects.filter(name="测试姓名"))
    assert SecretRecord.objects.filter(note__isnull=True).count() == 0


def test_blind_index_finds_exact_matches_only():
    a = SecretRecord.objects.create(name="张测试", id_number="11010519491231002X")
    SecretRecord.objects.create(name="张测试二", id_number="110105194912310021")
    field = SecretRecord._meta.get_field("id_number_index")
    assert list(SecretRecord.objects.filter(id_number_index=field.token("11010519491231002X"))) == [a]
    # Normalised variants of the same number match; a prefix or another number does not.
    assert list(SecretRecord.objects.filter(id_number_index=field.token("11010519491231002x"))) == [a]
    assert list(
        SecretRecord.objects.filter(id_number_index=field.token("１１０１０５１９４９１２３１００２Ｘ"))
    ) == [a]
    assert not SecretRecord.objects.filter(id_number_index=field.token("110105194912")).exists()
    names = SecretRecord._meta.get_field("name_index")
    assert list(SecretRecord.objects.filter(name_index=names.token("张 测试"))) == [a]
    assert not SecretRecord.objects.filter(name_index=names.token("张")).exists()


def test_blind_index_of_the_same_value_differs_between_domains():
    record = SecretRecord.objects.create(name="13800000000", id_number="13800000000")
    assert record.name_index != record.id_number_index


def test_data_stays_readable_after_rotation_and_reencrypt(capsys, settings):
    settings.KEY_CACHE_SECONDS = 0  # no other process holds an old keyring; do not wait for one
    records = [
        SecretRecord.objects.create(name=f"测试{i}", birth_date=dt.date(1980, 1, 1 + i)) for i in range(25)
    ]
    call_command("rotate_keys")
    assert get_keyring().active_version == 2
    newer = SecretRecord.objects.create(name="轮换后写入")
    assert raw(newer, "name").startswith("v2:")
    assert raw(records[0], "name").startswith("v1:")
    assert SecretRecord.objects.get(pk=records[0].pk).name == "测试0"

    call_command("reencrypt", "--batch-size", "7")
    output = capsys.readouterr().out
    assert "testapp_secretrecord: 26/26" in output
    for record in records:
        assert token_version(raw(record, "name")) == 2
        assert token_version(raw(record, "birth_date")) == 2
        fresh = SecretRecord.objects.get(pk=record.pk)
        assert (fresh.name, fresh.birth_date) == (record.name, record.birth_date)
    call_command("reencrypt", "--check")
    assert "共 0 行待重写" in capsys.readouterr().out


def test_interrupted_reencrypt_resumes_after_the_last_committed_batch(monkeypatch, capsys, settings):
    settings.KEY_CACHE_SECONDS = 0
    from backend.core.crypto import reencrypt

    records = [SecretRecord.objects.create(name=f"测试{i}") for i in range(10)]
    call_command("rotate_keys")
    calls = {"n": 0}
    original = reencrypt.reencrypt_model

    def stop_after_first_batch(model, fields, **kwargs):
        def progress(result):
            calls["n"] += 1
            raise KeyboardInterrupt  # the operator pressed Ctrl+C after one batch

        return original(model, fields, batch_size=4, progress=progress)

    monkeypatch.setattr("backend.core.management.commands.reencrypt.reencrypt_model", stop_after_first_batch)
    with pytest.raises(KeyboardInterrupt):
        call_command("reencrypt")
    done = [token_version(raw(r, "name")) for r in records]
    assert done == [2] * 4 + [1] * 6
    monkeypatch.setattr("backend.core.management.commands.reencrypt.reencrypt_model", original)
    call_command("reencrypt")
    assert "testapp_secretrecord: 10/10 行（100%），已重写 10" in capsys.readouterr().out
    assert all(token_version(raw(r, "name")) == 2 for r in records)


def test_missing_master_key_fails_with_a_message_naming_the_variable(settings):
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "master": None}
    with pytest.raises(KeyConfigError, match="ANBANG_MASTER_KEY"):
        get_keyring(refresh=True)


def test_malformed_key_fails_with_a_clear_message(settings):
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "audit": "too-short"}
    with pytest.raises(KeyConfigError, match="ANBANG_AUDIT_KEY 必须是 32 字节"):
        get_keyring(refresh=True)


def test_wrong_master_key_fails_at_load_instead_of_returning_ciphertext(settings):
    SecretRecord.objects.create(name="测试姓名")
    assert DataKey.objects.count() == 1
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "master": base64.b64encode(b"\x01" * 32).decode()}
    reset_keyring_cache()
    with pytest.raises(KeyConfigError, match="主密钥与数据库不匹配"):
        SecretRecord.objects.get()


def test_wrong_blind_index_key_fails_at_load(settings):
    get_keyring()
    assert KeyFingerprint.objects.filter(purpose="blind_index").exists()
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "blind_index": base64.b64encode(b"\x02" * 32).decode()}
    with pytest.raises(KeyConfigError, match="ANBANG_BLIND_INDEX_KEY 与数据库记录的指纹不一致"):
        get_keyring(refresh=True)


def test_master_key_change_with_previous_key_and_rewrap(settings, capsys):
    record = SecretRecord.objects.create(name="测试姓名")
    old_master = settings.KEY_SOURCES["master"]
    new_master = base64.b64encode(b"\x03" * 32).decode()
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "master": new_master, "master_previous": old_master}
    reset_keyring_cache()
    call_command("rotate_keys", "--rewrap")
    assert "重新包裹 1 个数据密钥" in capsys.readouterr().out
    settings.KEY_SOURCES = {**settings.KEY_SOURCES, "master_previous": None}
    reset_keyring_cache()
    assert SecretRecord.objects.get(pk=record.pk).name == "测试姓名"


def test_reencrypt_waits_until_other_processes_can_have_loaded_the_new_key(settings, capsys, monkeypatch):
    settings.KEY_CACHE_SECONDS = 60
    call_command("rotate_keys")
    slept = []
    monkeypatch.setattr("backend.core.management.commands.reencrypt.time.sleep", slept.append)
    call_command("reencrypt")
    assert len(slept) == 1 and 55 < slept[0] <= 60
    assert "让其他进程载入新密钥 v2" in capsys.readouterr().out


def test_the_keyring_is_reloaded_as_often_as_key_cache_seconds_says_even_when_it_changes(settings):
    """The setting is read once (every decrypted value asks for the keyring), and again when it changes."""
    settings.KEY_CACHE_SECONDS = 60
    assert get_keyring() is get_keyring()
    settings.KEY_CACHE_SECONDS = 0
    assert get_keyring() is not get_keyring()
