"""A bounded schemathesis run over the whole OpenAPI document (issue #23 item 8): every operation, valid
and invalid input, over real HTTP against the demo data; no answer may be a 5xx, and every answer must be
one the document lists, with the documented content type and body schema.

The schema is taken from the NinjaAPI object in-process (not from ``/openapi.json``, which needs
sign-in).  Hypothesis is derandomized and deadline-free, so a run is reproducible and the same on a slow
machine; ``ANBANG_SCHEMATHESIS_EXAMPLES`` (default 20 per operation, valid and invalid input together)
bounds it: about a minute on two cores per database.
"""

from __future__ import annotations

import io
import json
import os

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.api import api as ninja_api
from backend.core.actions.accounts import create_token
from backend.core.models import Jurisdiction, Role, User
from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.actions.devices import assign_device, provision_device
from backend.monitoring.actions.zones import create_zone
from backend.people.models import Case
from tests.conftest import make_user

EXAMPLES = int(os.environ.get("ANBANG_SCHEMATHESIS_EXAMPLES", "20"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PREFIX = "/api/v1"


def load_schema() -> schemathesis.BaseSchema:
    raw = json.loads(json.dumps(ninja_api.get_openapi_schema(path_prefix=PREFIX)))  # int keys → JSON's
    return schemathesis.openapi.from_dict(raw)


def demo_world() -> dict[str, int]:
    """The demo county, plus what the demo leaves out: a device on a person, a zone, an alert.  Returns one
    id of each kind, by the name the API's path parameters use."""
    call_command("seed_demo", stdout=io.StringIO())
    office = Jurisdiction.objects.get(code="990102001000")
    officer = User.objects.get(username="demo_officer_dc")
    case = Case.objects.filter(jurisdiction=office, kind="correction").order_by("pk").first()
    person = case.person
    phone = provision_device(
        by=officer, jurisdiction=office, kind="phone", protocol="osmand", identifier=None
    )
    assign_device(by=officer, device=phone.device, person=person)
    zone = create_zone(by=officer, jurisdiction=office, person=person, name="居住地（测试）", kind="inclusion",
                       geometry={"type": "circle", "lat": 30.0, "lon": 120.0, "radius_m": 1000})  # fmt: skip
    alert, _ = raise_alert(kind="sos", severity="critical", person=person, case=case)
    return {
        "person_id": person.pk,
        "case_id": case.pk,
        "device_id": phone.device.pk,
        "zone_id": zone.pk,
        "alert_id": alert.pk,
        "jurisdiction_id": office.pk,
        "user_id": officer.pk,
        "device_credential": phone.credential,
    }


def fresh_caller(home: Jurisdiction, index: int) -> tuple[User, str]:
    """A county officer who is also an admin, new for each operation: an operation that revokes the
    caller's token or changes its roles spoils nothing for the next one."""
    user = make_user(f"probe_{index}", home, Role.COUNTY_OFFICER, Role.ADMIN)
    return user, create_token(user=user, name="schemathesis").plaintext


def strategy_for(operation, known: dict[str, int]):
    """Generated input in both modes; where a path names an object of a kind the demo has, also the real
    one, so the run reaches past the 404."""
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    strategies = [operation.as_strategy(generation_mode=mode) for mode in modes]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in known for name in names):
        real = {name: known[name] for name in names}
        strategies.append(operation.as_strategy(path_parameters=real))
    return st.one_of(strategies)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_every_operation_answers_within_its_documented_contract_and_never_with_a_5xx(live_server):
    known = demo_world()
    home = Jurisdiction.objects.get(code="990102000000")
    schema = load_schema()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 70
    for index, operation in enumerate(operations):
        _, token = fresh_caller(home, index)
        headers = {"Authorization": f"Bearer {token}"}
        if operation.path.endswith("/checkins/app"):
            headers = {"Authorization": f"Device {known['device_credential']}"}
        failures += run_operation(operation, strategy_for(operation, known), live_server.url, headers)
    assert failures == [], "\n\n".join(failures)


def run_operation(operation, strategy, base_url: str, headers: dict[str, str]) -> list[str]:
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[
            Phase.explicit,
            Phase.generate,
        ],  # no shrinking: report the case as found, keep the time bound
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def each(case):
        response = case.call(base_url=base_url, headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (
            BaseExceptionGroup
        ) as exc:  # schemathesis' FailureGroup; all operations run, failures listed at the end
            found.append(f"{operation.label}: {exc}")

    each()
    return found
