"""Every sensitive People field, created through the API, is absent from the database bytes."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.test_encryption_at_rest import database_bytes
from tests.people import factories

pytestmark = pytest.mark.django_db(transaction=True)

SECRETS = {
    "name": "测试密文姓名壹",
    "former": "测试密文曾用名",
    "household": "测试密文户籍地址",
    "residence": "测试密文居住地址",
    "employer": "测试密文工作单位",
    "phone": "13899990001",
    "contact_name": "测试密文联系人",
    "contact_phone": "13899990002",
    "crime": "测试密文罪名",
    "judgment": "测试密文判决书号",
    "prohibition": "测试密文禁止令",
    "medication": "测试密文药物",
    "treatment": "测试密文治疗",
    "member_name": "测试密文组员",
    "member_phone": "13899990003",
    "placement": "测试密文安置备注",
    "emergency": "测试密文应急经过",
    "reason": "测试密文调整理由",
    "transition_note": "测试密文变更说明",
    "handover": "测试密文接收人",
}


def test_no_sensitive_people_field_is_stored_in_plaintext(tree, officer, health_worker, api):
    client = api(officer)
    id_number = factories.make_id(dt.date(1970, 1, 1))
    person = client.post(
        "/api/v1/persons",
        {
            "jurisdiction_id": tree.township_a1.pk,
            "name": SECRETS["name"],
            "former_names": [SECRETS["former"]],
            "id_number": id_number,
            "household_address": SECRETS["household"],
            "residence_address": SECRETS["residence"],
            "residence_point": {"lat": 31.123456, "lon": 121.654321},
            "employer": SECRETS["employer"],
            "phones": [{"number": SECRETS["phone"]}],
            "contacts": [
                {
                    "relation": "监护人",
                    "name": SECRETS["contact_name"],
                    "phone": SECRETS["contact_phone"],
                    "is_guardian": True,
                }
            ],
        },
    ).json()
    today = dt.date.today()
    correction = client.post(
        "/api/v1/cases",
        {
            "person_id": person["id"],
            "kind": "correction",
            "correction": {
                "sentence_type": "02", "crime": SECRETS["crime"], "court": "演示县人民法院",
                "judgment_effective_on": str(today), "term_start": str(today),
                "term_end": str(today + dt.timedelta(days=400)), "judgment": {"number": SECRETS["judgment"]},
                "prohibition_orders": SECRETS["prohibition"],
            },
        },
    ).json()  # fmt: skip
    client.post(
        f"/api/v1/cases/{correction['id']}/transitions",
        {"action": "report", "note": SECRETS["transition_note"]},
    )
    client.post(
        f"/api/v1/cases/{correction['id']}/marks",
        {"kind": "category", "value": "normal", "effective_on": str(today), "reason": SECRETS["reason"]},
    )
    client.post(
        f"/api/v1/teams/{correction['team_id']}/members",
        {
            "gender": "female",
            "role": "family",
            "name": SECRETS["member_name"],
            "phone": SECRETS["member_phone"],
        },
    )
    mh = client.post(
        "/api/v1/cases",
        {
            "person_id": person["id"],
            "kind": "mental_health",
            "mental_health": {
                "diagnosis": "bipolar", "risk_level": 1, "opened_on": str(today),
                "treatment": {"方案": SECRETS["treatment"]}, "medication": {"药物": SECRETS["medication"]},
            },
        },
    ).json()  # fmt: skip
    emergency = api(health_worker).post(
        f"/api/v1/cases/{mh['id']}/emergencies",
        {"occurred_at": "2026-01-01T08:00:00+08:00", "description": SECRETS["emergency"]},
    )
    assert emergency.status_code == 201
    other = factories.person(officer, tree.township_a1)
    aftercare = factories.aftercare(officer, other, key_person=True)
    client.post(
        f"/api/v1/cases/{aftercare.pk}/transitions",
        {"action": "hand_over", "handover": {"接收人": SECRETS["handover"]}},
    )
    placement = client.post(
        f"/api/v1/cases/{aftercare.pk}/placements",
        {"kind": "job", "start_on": str(today), "note": SECRETS["placement"]},
    )
    assert placement.status_code == 201

    raw = database_bytes()
    assert b"schizophrenia" not in raw and b"bipolar" not in raw  # the diagnosis code is encrypted too
    for label, secret in {**SECRETS, "id_number": id_number, "lat": "31.123456"}.items():
        assert secret.encode("utf-8") not in raw, f"{label} stored in plaintext"
