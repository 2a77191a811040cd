"""The positions table, the largest, keeps only the indexes its reads need: each one costs every fix."""

from __future__ import annotations

import pytest
from django.db import connection

from backend.monitoring.models import Position

pytestmark = pytest.mark.django_db


def index_columns() -> set[tuple[str, ...]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, Position._meta.db_table)
    return {tuple(c["columns"]) for c in found.values() if c["index"] or c["unique"]}


def test_positions_have_no_single_column_index_on_device_or_person():
    columns = index_columns()
    assert ("device_id",) not in columns and ("person_id",) not in columns
    assert ("device_id", "fix_time") in columns and ("person_id", "fix_time") in columns


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's EXPLAIN QUERY PLAN")
@pytest.mark.parametrize("field", ["device_id", "person_id"])
def test_a_lookup_by_device_or_person_still_searches_an_index(field):
    sql, params = Position.objects.filter(**{field: 1}).values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "SEARCH" in plan and "INDEX" in plan, plan
