"""The zone editor's forms (views/zones.py) without a browser: a drawn circle, polygon or corridor posted as the
hidden ``geometry`` JSON is saved through the zones API's schema and actions (audited); garbage is refused
in Chinese beside its field and nothing is written; editing loads the zone and keeps what is not changed;
a zone can be deactivated; a shared layer's zone; team members are refused."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from backend.core.models import AuditEvent, Role
from backend.monitoring.actions.zones import create_zone
from backend.monitoring.geo.shapes import MAX_VERTICES
from backend.monitoring.models import Zone, ZoneLayer
from backend.people.actions.teams import add_member
from tests.conftest import make_user
from tests.console import world as w

pytestmark = pytest.mark.django_db

CIRCLE = {"type": "circle", "lat": 30.25, "lon": 120.15, "radius_m": 300}
SQUARE = {
    "type": "Polygon",
    "coordinates": [[[120.15, 30.25], [120.16, 30.25], [120.16, 30.26], [120.15, 30.26], [120.15, 30.25]]],
}
CORRIDOR = {"type": "corridor", "line": [[120.15, 30.25], [120.17, 30.25], [120.17, 30.27]], "width_m": 80}


@pytest.fixture
def world(tree, officers):
    return w.build(tree, officers)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(geometry, **extra) -> dict:
    values = {"name": "居住地（测试）", "kind": "inclusion", "confirm_fixes": "2", "confirm_seconds": "60",
              "clear_fixes": "2", "corridor_width": "50", "margin_m": ""}  # fmt: skip
    values["geometry"] = geometry if isinstance(geometry, str) else json.dumps(geometry)
    values.update(extra)
    return values


def new_url(world) -> str:
    return f"/console/people/{world.person.pk}/zones/new"


def test_the_new_zone_page_opens_the_map_with_the_drawing_tools_and_the_persons_zones(world, officers):
    page = signed_in(officers.owner).get(new_url(world))
    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="zone-map" data-map="zone-map-data"' in text and "leaflet-geoman.min.js" in text
    assert "console/zones.js" in text
    data = json.loads(text.split('id="zone-map-data" type="application/json">')[1].split("</script>")[0])
    assert [z["properties"]["name"] for z in data["zones"]] == ["测试娱乐场所"]  # context, read-only


@pytest.mark.parametrize("geometry", [CIRCLE, SQUARE, CORRIDOR], ids=["circle", "polygon", "corridor"])
def test_a_drawn_shape_is_saved_for_the_person_and_audited(world, officers, geometry):
    posted = signed_in(officers.owner).post(
        new_url(world),
        form(geometry, **{"schedule.0.weekday": "0", "schedule.0.start": "22:00", "schedule.0.end": "06:00"}),
    )
    assert posted.status_code == 302 and posted["Location"] == f"/console/people/{world.person.pk}/#zones"
    zone = Zone.objects.exclude(pk=world.zone.pk).get()
    assert (zone.person, zone.kind, zone.geometry) == (world.person, "inclusion", geometry)
    assert zone.schedule == [{"weekday": 0, "start": "22:00", "end": "06:00"}]
    assert AuditEvent.objects.filter(action="zone.create", target_id=str(zone.pk)).exists()


def polygon(ring) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


GARBAGE = {
    "self_intersecting_polygon": (
        form(polygon([[120.15, 30.25], [120.16, 30.26], [120.16, 30.25], [120.15, 30.26], [120.15, 30.25]])),
        "geometry", "自相交",
    ),
    "radius_zero": (form({**CIRCLE, "radius_m": 0}), "geometry", "半径"),
    "latitude_91": (form({**CIRCLE, "lat": 91}), "geometry", "纬度"),
    "polygon_latitude_91": (
        form(polygon([[120.15, 91], [120.16, 30.25], [120.16, 30.26], [120.15, 91]])), "geometry", "纬度",
    ),
    "too_many_vertices": (
        form(polygon([[120.15 + i * 1e-6, 30.25 + (i % 2) * 1e-6] for i in range(MAX_VERTICES)] + [[120.15, 30.25]])),
        "geometry", "顶点过多",
    ),
    "corridor_of_one_point": (form({**CORRIDOR, "line": [[120.15, 30.25]]}), "geometry", "两个不同的点"),
    "corridor_width_zero": (form({**CORRIDOR, "width_m": 0}), "geometry", "走廊宽度"),
    "corridor_too_wide": (form({**CORRIDOR, "width_m": 9000}), "geometry", "最多 5000 米"),
    "corridor_width_missing": (form({**CORRIDOR, "width_m": None}), "geometry", "走廊宽度"),
    "nothing_drawn": (form(""), "geometry", ""),
    "geometry_not_json": (form("{circle"), "geometry", ""),
    "schedule_25_00": (
        form(CIRCLE, **{"schedule.0.weekday": "1", "schedule.0.start": "25:00", "schedule.0.end": "06:00"}),
        "schedule", "时段",
    ),
    "schedule_weekday_7": (
        form(CIRCLE, **{"schedule.0.weekday": "7", "schedule.0.start": "22:00", "schedule.0.end": "06:00"}),
        "schedule.0.weekday", "",
    ),
    "schedule_without_times": (form(CIRCLE, **{"schedule.0.weekday": "1"}), "schedule.0.start", ""),
    "empty_name": (form(CIRCLE, name=""), "name", ""),
    "name_too_long": (form(CIRCLE, name="区" * 101), "name", ""),
    "nul_byte_in_name": (form(CIRCLE, name="居住\x00地"), "name", ""),
    "margin_negative": (form(CIRCLE, margin_m="-1"), "margin_m", "缓冲距离"),
    "margin_not_a_number": (form(CIRCLE, margin_m="abc"), "margin_m", ""),
    "confirm_fixes_zero": (form(CIRCLE, confirm_fixes="0"), "confirm_fixes", ""),
    "kind_unknown": (form(CIRCLE, kind="sometimes"), "kind", ""),
}  # fmt: skip


@pytest.mark.parametrize(("posted", "field", "fragment"), GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_refused_beside_its_field_in_chinese_and_nothing_is_written(
    world, officers, posted, field, fragment
):
    before = AuditEvent.objects.filter(action="zone.create").count()
    response = signed_in(officers.owner).post(new_url(world), posted)
    assert response.status_code == 422
    text = response.content.decode()
    assert f'id="{field}-error"' in text, text[
        text.find("field-error") - 200 : text.find("field-error") + 300
    ]
    assert fragment in text
    assert Zone.objects.count() == 1 and AuditEvent.objects.filter(action="zone.create").count() == before
    if field == "name" and posted["name"]:
        assert 'value="' in text  # the value comes back as typed (escaped)


def test_editing_loads_the_zone_and_saves_the_new_shape_schedule_and_margin(world, officers):
    client = signed_in(officers.owner)
    zone = world.zone
    Zone.objects.filter(pk=zone.pk).update(
        margin_m=30, schedule=[{"weekday": 4, "start": "20:00", "end": "23:00"}]
    )
    page = client.get(f"/console/zones/{zone.pk}/edit").content.decode()
    assert "测试娱乐场所" in page and "&quot;radius_m&quot;: 300" in page  # the geometry, for the editor
    assert 'name="schedule.0.start" aria-label="开始" value="20:00"' in page
    assert 'value="30"' in page
    data = json.loads(page.split('id="zone-map-data" type="application/json">')[1].split("</script>")[0])
    assert zone.pk not in [z["id"] for z in data["zones"]]  # not drawn twice

    posted = client.post(f"/console/zones/{zone.pk}/edit", {
        "name": "改名（测试）", "geometry": json.dumps(CORRIDOR), "confirm_fixes": "3", "confirm_seconds": "60",
        "clear_fixes": "2", "margin_m": "", "active": "on",
    })  # fmt: skip
    assert posted.status_code == 302
    zone.refresh_from_db()
    assert (zone.name, zone.geometry, zone.confirm_fixes) == ("改名（测试）", CORRIDOR, 3)
    assert zone.margin_m is None and zone.schedule == []  # emptied fields: the default margin, always
    assert zone.kind == "exclusion" and zone.active
    assert AuditEvent.objects.filter(action="zone.update", target_id=str(zone.pk)).exists()


def test_an_edit_refused_keeps_the_zone_as_it_was(world, officers):
    response = signed_in(officers.owner).post(
        f"/console/zones/{world.zone.pk}/edit", form({**CIRCLE, "radius_m": 5}, name="改名")
    )
    assert response.status_code == 422 and "半径" in response.content.decode()
    world.zone.refresh_from_db()
    assert world.zone.name == "测试娱乐场所" and world.zone.geometry["radius_m"] == 300


def test_a_zone_is_deactivated_and_leaves_the_persons_map(world, officers):
    client = signed_in(officers.owner)
    response = client.post(f"/console/zones/{world.zone.pk}/deactivate")
    assert response.status_code == 302
    world.zone.refresh_from_db()
    assert not world.zone.active
    person_page = client.get(f"/console/people/{world.person.pk}/").content.decode()
    assert f'data-zone="{world.zone.pk}"' not in person_page
    assert client.get(f"/console/zones/{world.zone.pk}/deactivate").status_code == 405


def test_the_person_page_links_to_drawing_and_to_each_of_the_persons_zones(world, officers):
    page = signed_in(officers.owner).get(f"/console/people/{world.person.pk}/").content.decode()
    assert f'href="/console/people/{world.person.pk}/zones/new"' in page
    assert f'href="/console/zones/{world.zone.pk}/edit" data-zone="{world.zone.pk}"' in page


def test_a_shared_layers_zone_is_drawn_in_the_layer_and_other_offices_get_404(world, tree, officers):
    layer = ZoneLayer.objects.create(name="县域禁入场所（测试）", jurisdiction=tree.township_a1)
    url = f"/console/zone-layers/{layer.pk}/zones/new"
    assert signed_in(officers.colleague).get(url).status_code == 404
    assert signed_in(officers.outsider).post(url, form(CIRCLE)).status_code == 404
    posted = signed_in(officers.owner).post(url, form(CIRCLE, kind="exclusion", name="网吧（测试）"))
    assert posted.status_code == 302 and posted["Location"] == f"/console/zone-layers/{layer.pk}/"
    zone = Zone.objects.get(layer=layer)
    assert zone.person is None and zone.kind == "exclusion" and zone.jurisdiction == tree.township_a1


def test_a_team_member_who_may_open_the_file_may_not_draw_zones(world, tree, officers):
    member = make_user("volunteer", tree.township_a1, Role.TEAM_MEMBER)
    add_member(by=officers.owner, team=world.case.team, role="volunteer", gender="male", user=member)
    client = signed_in(member)
    refused = client.get(new_url(world))
    assert refused.status_code == 403 and "无权设置区域" in refused.content.decode()
    assert client.post(new_url(world), form(CIRCLE)).status_code == 403
    assert client.post(f"/console/zones/{world.zone.pk}/deactivate").status_code == 404  # zones: office only
    assert Zone.objects.count() == 1 and Zone.objects.get().active


def test_other_offices_get_404_for_a_persons_zone_pages(world, officers):
    for user in (officers.colleague, officers.outsider):
        client = signed_in(user)
        assert client.get(new_url(world)).status_code == 404
        assert client.get(f"/console/zones/{world.zone.pk}/edit").status_code == 404
        assert client.post(f"/console/zones/{world.zone.pk}/deactivate").status_code == 404
    assert Zone.objects.get().active


def test_the_create_schema_is_the_apis_own():
    from backend.console.views import zones as views
    from backend.monitoring import inputs

    assert views.ZoneIn is inputs.ZoneIn and views.ZonePatch is inputs.ZonePatch
    assert create_zone  # the action the API uses
