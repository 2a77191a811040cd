"""Signing in (clear lockout messages, idle timeout), field visibility on the person page, and device
provisioning that shows the JT/T 808 auth code once."""

from __future__ import annotations

import hashlib
import re
import time

import pytest
from django.test import Client

from backend.core.middleware import IdleSessionTimeoutMiddleware
from backend.core.models import Role
from backend.monitoring.models import Device
from tests.conftest import PASSWORD, make_user
from tests.console import world as w
from tests.people import factories

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_signing_in_lands_on_the_console_dashboard(officers):
    client = Client()
    response = client.post("/login/", {"username": "owner", "password": PASSWORD, "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "我的待办告警" in page and "三色管理" in page


def test_a_wrong_password_says_how_many_tries_are_left_and_the_fifth_locks(officers):
    client = Client()
    first = client.post("/login/", {"username": "owner", "password": "wrong password"})
    assert (
        first.status_code == 401
        and "用户名或密码错误；再错 4 次账户将被锁定 15 分钟" in first.content.decode()
    )
    for _ in range(3):
        client.post("/login/", {"username": "owner", "password": "wrong password"})
    fifth = client.post("/login/", {"username": "owner", "password": "wrong password"}).content.decode()
    assert "连续 5 次密码错误，账户已锁定 15 分钟" in fifth and "联系系统管理员" in fifth
    refused = client.post("/login/", {"username": "owner", "password": PASSWORD}).content.decode()
    assert re.search(r"账户已锁定，请于 \d\d:\d\d 后重试", refused)


def test_an_idle_console_session_goes_back_to_sign_in_saying_why(officers, settings):
    client = signed_in(officers.owner)
    assert client.get("/console/").status_code == 200
    session = client.session
    session[IdleSessionTimeoutMiddleware.SESSION_KEY] = time.time() - settings.SESSION_IDLE_MINUTES * 60 - 5
    session.save()
    response = client.get("/console/people/")
    assert response.status_code == 302 and "expired=1" in response["Location"]
    assert "已自动退出" in client.get(response["Location"]).content.decode()
    # The dashboard's background refresh gets a bare 401 and reloads the page.
    assert client.get("/console/?fragment=1", headers={"X-Requested-With": "fetch"}).status_code == 401


def test_only_health_staff_see_a_diagnosis_and_everyone_else_the_masked_id_where_required(tree, officers):
    doctor = make_user("doctor_a1", tree.township_a1, Role.HEALTH_WORKER)
    patient = factories.person(officers.owner, tree.township_a1, name="测试患者")
    factories.mental_health(officers.owner, patient, risk_level=1)
    officer_view = signed_in(officers.owner).get(f"/console/people/{patient.pk}/").content.decode()
    doctor_view = signed_in(doctor).get(f"/console/people/{patient.pk}/").content.decode()
    assert "精神分裂症" in doctor_view and "精神分裂症" not in officer_view
    assert patient.id_number in officer_view  # office staff see the whole identity (sees_full_identity)
    assert "轨迹" not in doctor_view  # location data is for the correction office only


def test_the_person_page_shows_each_cases_own_details_for_a_person_with_two_kinds(
    tree, officers, django_assert_num_queries
):
    """The details come by kind (``load_details``): a subject who is also a patient shows both."""
    from backend.people.models import Case
    from backend.people.models.case import load_details

    subject = factories.person(officers.owner, tree.township_a1, name="测试双重对象")
    factories.correction(officers.owner, subject, court="测试法院甲")
    factories.mental_health(officers.owner, subject, risk_level=1)
    page = signed_in(officers.owner).get(f"/console/people/{subject.pk}/").content.decode()
    assert "决定机关 测试法院甲" in page and "精神障碍患者服务管理" in page and "稳定性 基本稳定" in page
    cases = load_details(list(Case.objects.filter(person=subject)))
    with django_assert_num_queries(0):
        assert {case.kind: case.correction.court if case.kind == "correction" else case.mental_health.stability
                for case in cases} == {"correction": "测试法院甲", "mental_health": "basically_stable"}  # fmt: skip


def test_provisioning_a_jt808_tag_shows_its_auth_code_once(tree, officers):
    client = signed_in(officers.owner)
    response = client.post("/console/devices/new", {
        "jurisdiction_id": tree.township_a1.pk, "kind": "tag", "protocol": "jt808", "identifier": "13800138009",
        "label": "脚环二号",
    })  # fmt: skip
    device = Device.objects.get(identifier="13800138009")
    assert response.status_code == 302 and response["Location"] == f"/console/devices/{device.pk}/issued"
    response = client.get(response["Location"])  # the code is shown on the page the form leads to, once
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    code = re.search(r'id="credential">([0-9a-f]{16})<', response.content.decode()).group(1)
    assert client.get(f"/console/devices/{device.pk}/issued").status_code == 302  # and never again
    assert device.auth_code_digest == hashlib.sha256(code.encode()).hexdigest()
    listing = client.get("/console/devices/").content.decode()
    assert "脚环二号" in listing and code not in listing


def test_a_refused_provisioning_keeps_the_form_with_the_domains_message(tree, officers):
    response = signed_in(officers.owner).post("/console/devices/new", {
        "jurisdiction_id": tree.township_a1.pk, "kind": "tag", "protocol": "gt06", "identifier": "123",
    })  # fmt: skip
    assert response.status_code == 422 and "IMEI 应为 15 位数字" in response.content.decode()


def test_a_team_member_cannot_manage_devices(tree, officers):
    member = make_user("volunteer", tree.township_a1, Role.TEAM_MEMBER)
    response = signed_in(member).get("/console/devices/")
    assert (
        response.status_code == 403 and "仅司法所或县级工作人员可以管理定位设备" in response.content.decode()
    )


def test_the_county_head_sees_the_location_orders_in_force(tree, officers):
    world = w.build(tree, officers)
    page = signed_in(world.head).get("/console/approvals/").content.decode()
    assert f'id="order-{world.order.pk}"' in page and "测试张三" in page
    assert 'id="orders"' not in signed_in(officers.owner).get("/console/approvals/").content.decode()


def test_the_person_page_links_the_person_file_for_the_chosen_track_period(tree, officers):
    world = w.build(tree, officers)
    client = signed_in(officers.owner)
    page = client.get(f"/console/people/{world.person.pk}/?from=2026-11-01&to=2026-11-07").content.decode()
    link = f"/api/v1/reports/person/{world.person.pk}.pdf?from=2026-11-01&amp;to=2026-11-07"
    assert link in page
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200 and response.content[:5] == b"%PDF-"
    assert signed_in(officers.colleague).get(link.replace("&amp;", "&")).status_code == 404
