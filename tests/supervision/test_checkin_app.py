"""手机签到 from the subject's app: the device identifier is the credential; the fix is judged against the
inclusion zones that apply at that moment; nothing is stored for an unknown or unassigned device."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from geopy.distance import geodesic

from backend.core.models import AuditEvent
from backend.monitoring.actions.devices import assign_device, provision_device
from backend.monitoring.models import Zone, ZoneLayer
from backend.monitoring.zone_watch import schedule_of
from backend.supervision.due import run_planners
from backend.supervision.models import Checkin, DueItem, DueKind
from backend.supervision.sweep import sweep
from tests.people import factories
from tests.supervision.test_checkin_plans import active_case, at

pytestmark = pytest.mark.django_db
HOME = (30.0, 120.0)
URL = "/api/v1/checkins/app"


def at_distance(metres: float, bearing: float = 0.0) -> tuple[float, float]:
    point = geodesic(meters=metres).destination(HOME, bearing)
    return point.latitude, point.longitude


@pytest.fixture
def case(officers, tree):
    return active_case(officers, tree, category="normal")


@pytest.fixture
def phone(officers, tree, case):
    """The person's phone running the app; the identifier the office issued is its credential."""
    issued = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                              identifier=None)  # fmt: skip
    assign_device(by=officers.owner, device=issued.device, person=case.person)
    return issued


@pytest.fixture
def home(tree, case):
    return Zone.objects.create(name="居住地 1 公里（测试）", kind="inclusion", jurisdiction=tree.township_a1,
                               person=case.person, geometry={"type": "circle", "lat": HOME[0], "lon": HOME[1], "radius_m": 1000})  # fmt: skip


def check_in(api, credential: str | None, point: tuple[float, float], accuracy: float | None = 10):
    headers = {"Authorization": f"Device {credential}"} if credential is not None else {}
    return api(None).post(URL, {"lat": point[0], "lon": point[1], "accuracy": accuracy}, **headers)


def test_a_check_in_inside_the_home_zone_is_verified(api, phone, home, case):
    response = check_in(api, phone.credential, at_distance(200))
    assert response.status_code == 201, response.json()
    checkin = Checkin.objects.get()
    assert response.json() == {"id": checkin.pk, "at": response.json()["at"], "verified": True}
    assert (checkin.case_id, checkin.kind, checkin.device_id, checkin.verified) == (
        case.pk,
        "app",
        phone.device.pk,
        True,
    )
    assert checkin.point == {"lat": at_distance(200)[0], "lon": at_distance(200)[1], "accuracy_m": 10}
    event = AuditEvent.objects.get(action="checkin.app")
    assert (event.actor_label, event.details["verified"]) == (f"device:{phone.device.pk}", True)


def test_a_check_in_confidently_outside_is_stored_but_not_verified(api, phone, home):
    assert check_in(api, phone.credential, at_distance(2000)).json()["verified"] is False
    assert Checkin.objects.get().verified is False


def test_a_fix_whose_accuracy_straddles_the_boundary_is_not_judged(api, phone, home):
    assert check_in(api, phone.credential, at_distance(1100), accuracy=300).json()["verified"] is None


def test_without_any_zone_the_check_in_is_not_judged(api, phone):
    assert check_in(api, phone.credential, at_distance(2000)).json()["verified"] is None


def test_every_applicable_zone_must_hold_the_point(api, phone, home, tree, case):
    # The county boundary as a default layer (here a 1.5 km circle east of home) applies to every subject.
    layer = ZoneLayer.objects.create(name="本县范围", jurisdiction=tree.county_a, default_for_correction=True)
    centre = at_distance(1500, 90)
    Zone.objects.create(name="县界（测试）", kind="inclusion", jurisdiction=tree.county_a, layer=layer,
                        geometry={"type": "circle", "lat": centre[0], "lon": centre[1], "radius_m": 1000})  # fmt: skip
    assert check_in(api, phone.credential, at_distance(700, 90)).json()["verified"] is True  # in both
    assert check_in(api, phone.credential, at_distance(700, 270)).json()["verified"] is False  # home only


def test_a_zone_outside_its_schedule_does_not_apply(api, phone, home):
    # A curfew zone for one minute a week, long past: it does not apply now, only the home zone does.
    Zone.objects.create(name="宵禁（测试）", kind="inclusion", jurisdiction=home.jurisdiction, person=home.person,
                        geometry={"type": "circle", "lat": 10.0, "lon": 100.0, "radius_m": 100},
                        schedule=[{"weekday": 0, "start": "03:00", "end": "03:01"}])  # fmt: skip
    if schedule_of([{"weekday": 0, "start": "03:00", "end": "03:01"}]).active(timezone.now()):
        pytest.skip("the test runs inside the one minute the curfew applies")
    assert check_in(api, phone.credential, at_distance(200)).json()["verified"] is True


def test_the_location_is_encrypted_at_rest(api, phone, home):
    check_in(api, phone.credential, (30.0012345, 120.0012345))
    with connection.cursor() as cursor:
        cursor.execute("SELECT point FROM supervision_checkin")
        (raw,) = cursor.fetchone()
    raw = bytes(raw) if not isinstance(raw, str) else raw.encode()
    assert b"30.0012345" not in raw and b"120.0012345" not in raw


def test_an_unknown_device_is_refused_and_nothing_is_stored(api, phone, home):
    for credential in (
        "0123456789abcdef0123",
        phone.device.identifier,
        None,
    ):  # the stored hash is no credential
        response = check_in(api, credential, at_distance(200))
        assert response.status_code == 401
        assert response.json()["code"] == "unauthenticated"
    assert not Checkin.objects.exists()
    bearer = api(None).post(URL, {"lat": 30.0, "lon": 120.0}, Authorization=f"Bearer {phone.credential}")
    assert bearer.status_code == 401
    assert not Checkin.objects.exists()


def test_an_unassigned_device_or_a_person_not_under_correction_gets_404(api, officers, tree, phone, home):
    loose = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                             identifier=None)  # fmt: skip
    response = check_in(api, loose.credential, at_distance(200))
    assert response.status_code == 404
    assert response.json()["message"] == "该设备未绑定矫正对象，请联系司法所"

    waiting = factories.person(officers.owner, tree.township_a1)
    factories.correction(officers.owner, waiting)  # still 待报到
    other = provision_device(by=officers.owner, jurisdiction=tree.township_a1, kind="phone", protocol="osmand",
                             identifier=None)  # fmt: skip
    assign_device(by=officers.owner, device=other.device, person=waiting)
    response = check_in(api, other.credential, at_distance(200))
    assert response.status_code == 404
    assert response.json()["message"] == "未找到在矫的社区矫正案件，无需签到"
    assert not Checkin.objects.exists()


def test_an_app_check_in_meets_the_weekly_phone_duty(api, phone, case):
    run_planners(at(2026, 11, 1, 12))
    check_in(api, phone.credential, at_distance(200))
    # The app stamps the server's clock; for the test the check-in is moved into the planned week.
    Checkin.objects.update(at=at(2026, 11, 5, 20))
    sweep(at(2026, 11, 9))
    item = DueItem.objects.get(case=case, kind=DueKind.CHECKIN_WINDOW_END, details__duty="phone")
    assert (item.details["window"], item.outcome) == ("2026-W45", "ok")


def test_during_approved_leave_the_destination_replaces_the_home_zone(officers, case, home):
    from backend.supervision.actions.checkins import verify_location
    from backend.supervision.actions.leave import approve_leave, create_leave
    from backend.supervision.models.leave import day_start

    today = timezone.localdate()
    away = at_distance(50_000, 45)
    leave = create_leave(
        by=officers.owner, case=case, starts_on=today + dt.timedelta(days=3), ends_on=today + dt.timedelta(days=5),
        destination="测试市", reason="探亲（测试）",
        destination_geometry={"type": "circle", "lat": away[0], "lon": away[1], "radius_m": 2000},
    )  # fmt: skip
    approve_leave(by=officers.owner, leave=leave)
    during = day_start(today + dt.timedelta(days=4)) + dt.timedelta(hours=10)
    after = day_start(today + dt.timedelta(days=6)) + dt.timedelta(hours=10)
    assert verify_location(case.person, case, during, *away, 10) is True
    assert (
        verify_location(case.person, case, during, *at_distance(200), 10) is False
    )  # home, not at the destination
    assert (
        verify_location(case.person, case, after, *at_distance(200), 10) is True
    )  # back home: the home zone again
    assert verify_location(case.person, case, after, *away, 10) is False
