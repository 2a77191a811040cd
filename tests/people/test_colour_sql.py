"""The colour CASE is compiled once and reused as SQL text (people.colour.Colour): it must answer exactly
what the ordinary expression answers, wherever the person table sits in the query."""

from __future__ import annotations

import json

import pytest

from backend.core.rules import rules
from backend.monitoring.actions.alerts import raise_alert
from backend.people.colour import colour_expression, with_colour
from backend.people.models import Case, CaseStatus, Person
from tests.people import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def coloured(tree, officer):
    """Five people, one of each way to a colour: {pk: colour}, the mental-health patient (risk 3) first."""
    green = factories.person(officer, tree.township_a1)
    patient = factories.person(officer, tree.township_a1)
    factories.mental_health(officer, patient, risk_level=3)
    normal = factories.person(officer, tree.township_a1)
    case = factories.correction(officer, normal)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.ACTIVE, category="normal")
    battery = factories.person(officer, tree.township_a1)
    raise_alert(kind="low_battery", severity="low", person=battery)
    sos = factories.person(officer, tree.township_a1)
    raise_alert(kind="sos", severity="critical", person=sos)
    return {patient.pk: "red", green.pk: "green", normal.pk: "yellow", battery.pk: "yellow", sos.pk: "red"}


def ordinary() -> dict[int, str]:
    return dict(Person.objects.annotate(colour=colour_expression()).values_list("pk", "colour"))


def test_the_reused_colour_sql_agrees_with_the_ordinary_expression(coloured):
    assert dict(with_colour(Person.objects.all()).values_list("pk", "colour")) == coloured == ordinary()
    reds = with_colour(Person.objects.all()).filter(colour="red").order_by("pk")
    assert list(reds.values_list("pk", flat=True)) == sorted(pk for pk, c in coloured.items() if c == "red")


def test_the_colour_is_right_inside_another_query_too(coloured):
    """As a subquery the person table is aliased: the ordinary expression is compiled there instead."""
    for colour in ("red", "yellow", "green"):
        inner = with_colour(Person.objects.all()).filter(colour=colour).values("pk")
        cases = Case.objects.filter(person__in=inner).values_list("person_id", flat=True)
        people_with_cases = set(Case.objects.values_list("person_id", flat=True))
        assert set(cases) == {pk for pk, c in coloured.items() if c == colour} & people_with_cases


def test_a_provinces_colour_thresholds_change_the_reused_sql(coloured, tmp_path, monkeypatch):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"colour_red_mh_risk": 4}))
    monkeypatch.setenv("ANBANG_RULES_FILE", str(path))
    rules.cache_clear()
    try:
        colours = dict(with_colour(Person.objects.all()).values_list("pk", "colour"))
        patient = next(iter(coloured))
        assert colours[patient] == "yellow" and colours == ordinary()
    finally:
        monkeypatch.delenv("ANBANG_RULES_FILE")
        rules.cache_clear()
