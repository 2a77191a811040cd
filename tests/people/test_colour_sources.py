"""The colour board takes what other apps know of a person as registered sources (people cannot import
them): monitoring's open alerts are added at start, and the board stays one annotated query."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Case as When_
from django.db.models import CharField, Exists, OuterRef, Value, When
from django.test.utils import CaptureQueriesContext

from backend.monitoring.actions.alerts import raise_alert
from backend.monitoring.colour import open_alerts
from backend.monitoring.models import Alert
from backend.people import colour
from backend.people.colour import colour_expression, colour_sources, with_colour
from backend.people.models import Case, Person
from backend.people.models.case import OPEN_STATUSES
from tests.people import factories

pytestmark = pytest.mark.django_db


def test_open_alerts_colour_the_board_because_monitoring_adds_them_at_start():
    assert colour_sources() == {"open alerts": open_alerts}


def test_the_board_compiles_to_the_same_sql_as_when_people_read_alerts_itself():
    """The CASE the console's dashboard and person lists are timed with: two EXISTS per colour, cases first."""
    open_cases = Case.objects.filter(person=OuterRef("pk"), status__in=OPEN_STATUSES)
    open_alert_rows = Alert.objects.unresolved().filter(person=OuterRef("pk"))
    before = When_(
        When(
            Exists(open_cases.filter(colour.red_q())) | Exists(open_alert_rows.filter(severity="critical")),
            then=Value(colour.RED),
        ),
        When(
            Exists(open_cases.filter(colour.yellow_q())) | Exists(open_alert_rows), then=Value(colour.YELLOW)
        ),
        default=Value(colour.GREEN),
        output_field=CharField(),
    )

    def sql(expression) -> tuple[str, tuple]:
        query = Person.objects.annotate(colour=expression).values_list("colour").query
        return query.get_compiler(connection=connection).as_sql()

    assert sql(colour_expression()) == sql(before)


def test_a_person_with_an_open_alert_is_coloured_in_one_query(tree, officer):
    person = factories.person(officer, tree.township_a1)
    raise_alert(kind="sos", severity="critical", person=person)
    with CaptureQueriesContext(connection) as queries:
        colours = dict(with_colour(Person.objects.all()).values_list("pk", "colour"))
    assert colours[person.pk] == "red"
    assert len(queries) == 1


def test_a_source_added_later_colours_the_board_and_the_reused_sql_is_rebuilt(tree, officer):
    person = factories.person(officer, tree.township_a1)
    assert dict(with_colour(Person.objects.all()).values_list("pk", "colour"))[person.pk] == "green"
    chosen = Person.objects.filter(pk=OuterRef("pk"), pk__in=[person.pk])
    saved = colour_sources()
    colour.add_colour_source("test", lambda: (Exists(chosen.none()), Exists(chosen)))
    try:
        assert dict(with_colour(Person.objects.all()).values_list("pk", "colour"))[person.pk] == "yellow"
    finally:
        colour._SOURCES.clear()
        colour._SOURCES.update(saved)
        colour._COMPILED.clear()
    assert dict(with_colour(Person.objects.all()).values_list("pk", "colour"))[person.pk] == "green"
