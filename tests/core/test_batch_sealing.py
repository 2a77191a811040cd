"""``Keyring.sealer()``: a batch's values sealed with the nonces drawn at once, stored in the same form as
every encrypted value, so the model fields read what the gateway writer wrote."""

from __future__ import annotations

import pytest

from backend.core.crypto.keyring import NONCE_BYTES, get_keyring, parse_token
from tests.core.test_field_encryption import write_raw
from tests.testapp.models import SecretRecord

pytestmark = pytest.mark.django_db


def test_values_sealed_for_a_batch_read_back_through_the_field_like_any_encrypted_value():
    record = SecretRecord.objects.create(name="演示")
    field = SecretRecord._meta.get_field("name")
    write_raw(record, "name", get_keyring().sealer(1).encrypt("张三（演示）".encode(), field.aad()))
    assert SecretRecord.objects.get(pk=record.pk).name == "张三（演示）"


def test_a_batch_never_reuses_a_nonce_even_past_the_count_it_was_drawn_for():
    keyring = get_keyring()
    sealer = keyring.sealer(3)
    tokens = [sealer.encrypt(b"[30.5,120.25]", b"monitoring_position.point") for _ in range(10)]
    assert {parse_token(t)[0] for t in tokens} == {keyring.active_version}
    assert len({parse_token(t)[1][:NONCE_BYTES] for t in tokens}) == 10
    assert {keyring.decrypt(t, b"monitoring_position.point") for t in tokens} == {b"[30.5,120.25]"}
