"""Boundary input (issue #23 item 8): huge ids, years and dates far out are a 4xx with the error shape, never
a 500 — checked on the requests the outside probe sent, and on every integer, date and time parameter of
every GET operation in the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from backend.api import api as ninja_api
from backend.core.models import Role
from tests.conftest import make_user
from tests.core.test_api_errors import assert_error_shape
from tests.people import factories

pytestmark = pytest.mark.django_db

TOO_BIG = 2**63  # one past PostgreSQL's bigint and SQLite's INTEGER


@pytest.fixture
def world(tree):
    officer = make_user("officer_a1", tree.township_a1, Role.TOWNSHIP_OFFICER, Role.HEALTH_WORKER)
    person = factories.person(officer, tree.township_a1)
    correction = factories.correction(officer, person)
    patient = factories.mental_health(officer, factories.person(officer, tree.township_a1, name="测试患者"))
    return {"officer": officer, "person": person, "case": correction, "mh_case": patient}


PROBE = [
    "/api/v1/followups/compliance?case_id={mh_case}&year=9999",
    "/api/v1/followups/compliance?case_id={mh_case}&year=-198",
    "/api/v1/followups/compliance?case_id={mh_case}&year=10000",
    "/api/v1/checkins/compliance?case_id={case}&month=0000-01",
    "/api/v1/checkins/compliance?case_id={case}&month=9999-12",
    "/api/v1/due-items?from=0001-01-01&to=9999-12-31",
    "/api/v1/reports/alerts.csv?from=0001-01-01&to=0001-12-31",
    "/api/v1/reports/alerts.pdf?from=9999-12-01&to=9999-12-31",
    "/api/v1/reports/monthly.pdf?month=9999-12",
    "/api/v1/reports/person/{person}.pdf?from=0001-01-01&to=0001-01-02",
    f"/api/v1/alerts?person_id={TOO_BIG}",
    f"/api/v1/zones?person_id={TOO_BIG}",
    f"/api/v1/cases?person_id={TOO_BIG}",
    f"/api/v1/devices?person_id={TOO_BIG}",
    f"/api/v1/devices/{TOO_BIG}",
    f"/api/v1/persons/{TOO_BIG}",
    "/api/v1/checkins?from=0001-01-01&to=9999-12-31",
    "/api/v1/persons/{person}/track?from=0001-01-01T00:00:00Z&to=0001-01-02T00:00:00Z",
]


@pytest.mark.parametrize("url", PROBE)
def test_the_probes_boundary_requests_are_a_422_with_the_error_shape(url, world, api):
    ids = {"case": world["case"].pk, "mh_case": world["mh_case"].pk, "person": world["person"].pk}
    response = api(world["officer"]).get(url.format(**ids))
    assert_error_shape(response, 422, "validation_error")


def test_a_cursor_holding_a_huge_id_is_a_422(world, api):
    import base64

    cursor = base64.urlsafe_b64encode(f"id:{TOO_BIG}".encode()).decode().rstrip("=")
    assert_error_shape(api(world["officer"]).get(f"/api/v1/cases?cursor={cursor}"), 422, "validation_error")


def test_a_huge_id_in_a_body_is_a_422(world, api):
    client = api(world["officer"])
    device = client.post(
        "/api/v1/devices",
        {"jurisdiction_id": world["officer"].jurisdiction_id, "kind": "tag", "protocol": "jt808",
         "identifier": "013800000001"},
    )  # fmt: skip
    assert device.status_code == 201, device.content
    response = client.post(f"/api/v1/devices/{device.json()['id']}/assign", {"person_id": TOO_BIG})
    assert_error_shape(response, 422, "validation_error")
    far = {"case_id": world["case"].pk, "kind": "phone", "at": "9999-12-31T23:59:59+08:00"}
    assert_error_shape(client.post("/api/v1/checkins", far), 422, "validation_error")


# --- every parameter of every GET operation ------------------------------------------------------------

EXTREMES = {
    "integer": [str(TOO_BIG), str(-TOO_BIG - 1), "0", str(TOO_BIG - 1)],
    "date": ["0001-01-01", "9999-12-31"],
    "date-time": ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00"],
}


def _kind(schema: dict) -> str | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if option.get("type") == "integer":
            return "integer"
        if option.get("format") in ("date", "date-time"):
            return option["format"]
    return None


def _get_operations() -> list[tuple[str, list[dict]]]:
    spec = ninja_api.get_openapi_schema(path_prefix="/api/v1")
    return [(path, ops["get"].get("parameters", [])) for path, ops in spec["paths"].items() if "get" in ops]


def test_no_get_parameter_at_its_extremes_answers_a_5xx(world, api):
    client = api(world["officer"])
    good = {
        "case_id": str(world["mh_case"].pk),
        "person_id": str(world["person"].pk),
        "month": "2026-01",
        "year": "2026",
        "from": "2026-01-01",
        "to": "2026-01-02",
    }
    good_times = {"from": "2026-01-01T00:00:00+08:00", "to": "2026-01-02T00:00:00+08:00"}
    failures, tried = [], 0
    for path, parameters in _get_operations():
        values = {}
        for p in parameters:
            if p["in"] == "path" or p.get("required"):
                times = p["schema"].get("format") == "date-time"
                values[p["name"]] = (good_times if times else good).get(p["name"], "1")
        for p in parameters:
            kind = _kind(p["schema"])
            for extreme in EXTREMES.get(kind, []):
                tried += 1
                trial = {**values, p["name"]: extreme}
                url = path
                query = []
                for other in parameters:
                    name = other["name"]
                    if name not in trial:
                        continue
                    if other["in"] == "path":
                        url = url.replace("{" + name + "}", trial[name])
                    else:
                        query.append(f"{name}={trial[name].replace('+', '%2B')}")
                url += "?" + "&".join(query) if query else ""
                response = client.get(url)
                if response.status_code >= 500:
                    failures.append(f"{url} → {response.status_code}")
    assert tried > 100
    assert failures == []


def test_dates_and_ids_in_range_still_work(world, api):
    client = api(world["officer"])
    today = dt.date.today()
    assert client.get(f"/api/v1/due-items?from=1900-01-01&to={today}").status_code == 200
    ok = client.get(f"/api/v1/followups/compliance?case_id={world['mh_case'].pk}&year=2100")
    assert ok.status_code == 200 and ok.json()["year"] == 2100
    assert client.get(f"/api/v1/cases?person_id={TOO_BIG - 1}").json()["items"] == []


def _inputs(spec: dict):
    """(where, schema) of every parameter and request-body property, following $refs."""
    components = spec["components"]["schemas"]

    def walk(schema: dict, where: str, seen: tuple = ()):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                yield from walk(components[name], f"{where}→{name}", (*seen, name))
            return
        yield where, schema
        for key in ("anyOf", "oneOf", "allOf"):
            for option in schema.get(key, []):
                yield from walk(option, where, seen)
        for name, prop in schema.get("properties", {}).items():
            yield from walk(prop, f"{where}.{name}", seen)
        if isinstance(schema.get("items"), dict):
            yield from walk(schema["items"], f"{where}[]", seen)

    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for p in operation.get("parameters", []):
                yield from walk(p["schema"], f"{method.upper()} {path} {p['in']}:{p['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from walk(content["schema"], f"{method.upper()} {path} body")


def test_every_integer_date_and_time_the_api_accepts_is_bounded_in_the_openapi():
    unbounded = []
    for where, schema in _inputs(ninja_api.get_openapi_schema(path_prefix="/api/v1")):
        if schema.get("type") == "integer" and not ("minimum" in schema and "maximum" in schema):
            unbounded.append(where)
        if schema.get("format") in ("date", "date-time") and "x-maximum" not in schema:
            unbounded.append(where)
    assert unbounded == []


# PostgreSQL refuses text holding U+0000, and no database driver can encode a lone surrogate ("\ud800",
# which JSON can spell): both reached the driver and were a 500.
BAD_TEXT = ["a\u0000b", "a\ud800b"]


@pytest.mark.parametrize("text", BAD_TEXT, ids=["nul", "lone-surrogate"])
def test_text_no_database_can_store_is_a_422_in_a_body(text, world, api):
    client = api(world["officer"])
    body = json.dumps({"name": text}, ensure_ascii=True)  # "\u0000" / "\ud800" as JSON escapes
    assert_error_shape(client.post("/api/v1/tokens", body), 422, "validation_error")
    refused = assert_error_shape(client.post("/api/v1/persons/search", body), 422, "validation_error")
    assert refused["details"]["fields"][0]["loc"][-1] == "name"


def test_a_nul_in_a_query_or_a_path_is_a_422(world, api):
    client = api(world["officer"])
    assert_error_shape(client.get("/api/v1/alerts?kind=a%00b"), 422, "validation_error")
    assert_error_shape(client.get("/api/v1/persons?name=a%00b"), 422, "validation_error")
    case = world["case"].pk
    response = client.request("PUT", f"/api/v1/checkins/plans/{case}/a%00b", {"required": 1})
    assert_error_shape(response, 422, "validation_error")
