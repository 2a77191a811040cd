from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from backend.core.models import AuditEvent, Role
from backend.monitoring.models import Device, Position
from tests.conftest import make_user
from tests.core.test_scoping import Case, run_trio
from tests.people import factories

pytestmark = pytest.mark.django_db


def provision(api, user, tree, **body):
    return api(user).post("/api/v1/devices", {"jurisdiction_id": tree.township_a1.pk, "kind": "tag", **body})


def test_an_osmand_device_gets_an_identifier_shown_once_and_stored_hashed(tree, officers, api):
    response = provision(api, officers.owner, tree, kind="phone", protocol="osmand")
    assert response.status_code == 201
    body = response.json()
    credential = body["credential"]
    assert len(credential) == 20 and body["identifier"] is None
    device = Device.objects.get(pk=body["id"])
    assert device.identifier == hashlib.sha256(credential.encode()).hexdigest()
    assert api(officers.owner).get(f"/api/v1/devices/{device.pk}").json().get("credential") is None


def test_a_jt808_terminal_gets_an_initial_auth_code_shown_once(tree, officers, api):
    body = provision(api, officers.owner, tree, protocol="jt808", identifier="013800138000").json()
    assert body["identifier"] == "13800138000" and len(body["credential"]) == 16
    assert (
        Device.objects.get(pk=body["id"]).auth_code_digest
        == hashlib.sha256(body["credential"].encode()).hexdigest()
    )


def test_imei_protocols_are_marked_weak_authentication(tree, officers, api):
    body = provision(api, officers.owner, tree, protocol="gt06", identifier="864717003283581").json()
    assert body["weak_auth"] is True and body["status"] == "never"


def test_bad_identifiers_are_refused(tree, officers, api):
    assert provision(api, officers.owner, tree, protocol="gt06", identifier="12345").status_code == 422
    assert provision(api, officers.owner, tree, protocol="jt808", identifier="phone").status_code == 422
    assert provision(api, officers.owner, tree, protocol="gt06").status_code == 422
    provision(api, officers.owner, tree, protocol="gt06", identifier="864717003283581")
    assert (
        provision(api, officers.owner, tree, protocol="gt06", identifier="864717003283581").status_code == 409
    )


def test_a_device_is_assigned_to_one_person_at_a_time(tree, officers, api):
    device = provision(
        api, officers.owner, tree, kind="watch", protocol="gt06", identifier="864717003283581"
    ).json()
    first = factories.person(officers.owner, tree.township_a1)
    second = factories.person(officers.owner, tree.township_a1)
    client = api(officers.owner)
    assert (
        client.post(f"/api/v1/devices/{device['id']}/assign", {"person_id": first.pk}).json()["person_id"]
        == first.pk
    )
    assert client.post(f"/api/v1/devices/{device['id']}/assign", {"person_id": second.pk}).status_code == 409
    assert client.post(f"/api/v1/devices/{device['id']}/unassign").json()["person_id"] is None
    assert client.post(f"/api/v1/devices/{device['id']}/assign", {"person_id": second.pk}).status_code == 200
    assert [a["person_id"] for a in Device.objects.get(pk=device["id"]).assignments.values("person_id")] == [
        first.pk,
        second.pk,
    ]


def test_positions_are_read_in_time_order_page_by_page_and_audited(tree, officers, api):
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier="864717003283581"
    )
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    # Inserted out of order, as late fixes arrive.
    for minutes in (30, 10, 20, 0, 50, 40):
        Position.objects.create(
            device=device, fix_time=start + dt.timedelta(minutes=minutes), received_at=timezone.now(),
            point=[30.0 + minutes / 1000, 120.0], valid=True, source="gnss",
        )  # fmt: skip
    client, times, cursor = api(officers.owner), [], None
    window = f"from={(start - dt.timedelta(minutes=1)).isoformat()}&to={timezone.now().isoformat()}".replace(
        "+", "%2B"
    )
    while True:
        page = client.get(
            f"/api/v1/devices/{device.pk}/positions?{window}&limit=4"
            + (f"&cursor={cursor}" if cursor else "")
        ).json()
        times += [item["fix_time"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert times == sorted(times) and len(times) == 6
    assert AuditEvent.objects.filter(action="device.read_positions", target_id=str(device.pk)).count() == 2


def test_a_position_window_must_be_ordered_and_bounded(tree, officers, api):
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="tag", protocol="gt06", identifier="864717003283581"
    )
    client = api(officers.owner)
    backwards = client.get(
        f"/api/v1/devices/{device.pk}/positions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"
    )
    assert backwards.status_code == 422
    too_long = client.get(
        f"/api/v1/devices/{device.pk}/positions?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z"
    )
    assert too_long.status_code == 422


def test_team_members_and_health_workers_cannot_manage_devices(tree, api):
    for role in (Role.TEAM_MEMBER, Role.HEALTH_WORKER):
        assert api(make_user(f"u_{role}", tree.township_a1, role)).get("/api/v1/devices").status_code == 403


@pytest.fixture
def objects(tree, officers):
    device = Device.objects.create(
        jurisdiction=tree.township_a1, kind="watch", protocol="gt06", identifier="864717003283581"
    )
    return {"device": device, "person": factories.person(officers.owner, tree.township_a1)}


ENDPOINTS = {
    "get device": Case("GET", lambda o: f"/api/v1/devices/{o['device'].pk}"),
    "update device": Case(
        "PATCH", lambda o: f"/api/v1/devices/{o['device'].pk}", lambda o: {"label": "测试"}
    ),
    "assign device": Case(
        "POST", lambda o: f"/api/v1/devices/{o['device'].pk}/assign", lambda o: {"person_id": o["person"].pk}
    ),
    "unassign device": Case("POST", lambda o: f"/api/v1/devices/{o['device'].pk}/unassign"),
    "device positions": Case(
        "GET",
        lambda o: (
            f"/api/v1/devices/{o['device'].pk}/positions?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z"
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_device_endpoints_are_scoped_to_the_officers_office(name, officers, objects, api):
    assert run_trio(officers, ENDPOINTS[name], objects, api) == [200, 404, 404]


def test_the_device_list_holds_only_what_the_reader_may_see(officers, objects, api):
    def ids(user):
        return {d["id"] for d in api(user).get("/api/v1/devices").json()["items"]}

    assert objects["device"].pk in ids(officers.owner)
    assert objects["device"].pk not in ids(officers.colleague) | ids(officers.outsider)


def test_gateway_totals_add_up_counts_and_rates_but_keep_each_processs_latencies_to_itself(officers, api):
    from backend.monitoring.models import GatewayStats

    phases = {"rows": 1800.0, "encode_ms": 30.0, "lock_wait_ms": 50.0, "insert_ms": 40.0, "commit_ms": 30.0,
              "hooks_ms": 1.0}  # fmt: skip
    for node in ("vm:5015#0", "vm:5015#1"):
        GatewayStats.objects.create(
            node=node, updated_at=timezone.now(), started_at=timezone.now(),
            counters={"stored": 100, "rejected": {"null_island": 2}, "batch_phases_mean": phases,
                      "fixes_per_s": 4500.5, "batch_ms_p99": 120.0},
        )  # fmt: skip
    body = api(officers.owner).get("/api/v1/gateway/stats").json()
    assert body["totals"] == {"stored": 200, "rejected": {"null_island": 4}, "fixes_per_s": 9001.0}
    assert [n["batch_phases_mean"] for n in body["nodes"]] == [phases, phases]
