"""The three-colour board (红/黄/绿): a display computed from each person's open cases, never stored.

Rules (docs/people.md; thresholds in backend/core/rules.py):
- 红 red: an open correction case that is 严管, or 脱管查找中, or has a revocation pending; an aftercare case
  at risk 高; a mental-health case at risk ≥ 3.
- 黄 yellow: not red, and an open correction case that is 普管, 外出中, 羁押 or not yet reported (待报到); an
  aftercare case at risk 中
  or not yet handed over; a mental-health case at risk 1–2.
- 绿 green: everyone else with an open case, and people without one.
Other apps add what they know of a person (``add_colour_source``, from their ``AppConfig.ready``): open
alerts count (backend/monitoring/colour.py: an unresolved critical alert makes red, any unresolved alert at
least yellow).  People cannot import them: they sit above it.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import NamedTuple

from django.db.models import Case as When_
from django.db.models import CharField, Exists, Expression, OuterRef, Q, QuerySet, Value, When

from backend.core.rules import rules
from backend.people.models import AftercareRisk, Case, CaseKind, CaseStatus, Category, Person, SubStatus
from backend.people.models.case import OPEN_STATUSES

RED, YELLOW, GREEN = "red", "yellow", "green"
LABELS = {RED: "红", YELLOW: "黄", GREEN: "绿"}

# A source of colour: () -> (makes red, makes at least yellow), two conditions about the person of the
# outer query (``OuterRef("pk")``), e.g. ``Exists`` over rows that point at the person.
ColourSource = Callable[[], tuple[Expression, Expression]]
_SOURCES: dict[str, ColourSource] = {}


def add_colour_source(name: str, source: ColourSource) -> None:
    """Let ``source`` colour the board too (called from an app's ``ready``; again under a name replaces
    it).  Its conditions are OR-ed after the cases' own, in the order the sources were added."""
    _SOURCES[name] = source
    _COMPILED.clear()


def colour_sources() -> dict[str, ColourSource]:
    """The sources added so far, by name."""
    return dict(_SOURCES)


def red_q() -> Q:
    r = rules()
    return (
        Q(kind=CaseKind.CORRECTION)
        & (Q(category=Category.STRICT) | Q(sub_status=SubStatus.LOST_CONTACT) | Q(revocation_pending=True))
        | Q(kind=CaseKind.AFTERCARE, aftercare_risk=AftercareRisk.HIGH)
        | Q(kind=CaseKind.MENTAL_HEALTH, risk_level__gte=r.colour_red_mh_risk)
    )


def yellow_q() -> Q:
    r = rules()
    return (
        Q(kind=CaseKind.CORRECTION)
        & (
            Q(category=Category.NORMAL)
            | Q(sub_status__in=[SubStatus.ON_LEAVE, SubStatus.DETAINED])
            | Q(status=CaseStatus.PENDING_REPORT)
        )
        | Q(kind=CaseKind.AFTERCARE)
        & (Q(aftercare_risk=AftercareRisk.MEDIUM) | Q(status=CaseStatus.NOTIFIED))
        | Q(kind=CaseKind.MENTAL_HEALTH, risk_level__gte=r.colour_yellow_mh_risk)
    )


def with_colour(persons: QuerySet) -> QuerySet:
    """Annotate ``colour`` on a Person queryset (two indexed EXISTS per row, no extra round trip)."""
    return persons.annotate(colour=Colour())


def colour_expression() -> When_:
    """The colour of the person the outer query is about, as an ordinary expression."""
    open_cases = Case.objects.filter(person=OuterRef("pk"), status__in=OPEN_STATUSES)
    added = [source() for source in _SOURCES.values()]
    red = [Exists(open_cases.filter(red_q())), *(makes_red for makes_red, _ in added)]
    yellow = [Exists(open_cases.filter(yellow_q())), *(makes_yellow for _, makes_yellow in added)]
    return When_(
        When(functools.reduce(operator.or_, red), then=Value(RED)),
        When(functools.reduce(operator.or_, yellow), then=Value(YELLOW)),
        default=Value(GREEN),
        output_field=CharField(),
    )


class Colour(Expression):
    """``colour_expression()``, compiled once per database and rules and reused as SQL text.

    Its SQL never changes between queries: only the outer person it is correlated with could, and on a
    person list, the board or a person page that is the query's own table.  Building and compiling the
    CASE of four EXISTS again for every query was a large part of the person page's time.  Where
    the person table sits under another alias (the queryset used inside another query) the ordinary
    expression is compiled instead.
    """

    output_field = CharField()

    def __init__(self, person_pk=None) -> None:
        super().__init__()
        self.person_pk = person_pk

    def get_source_expressions(self):
        return [self.person_pk] if self.person_pk is not None else []

    def set_source_expressions(self, exprs) -> None:
        self.person_pk = exprs[0] if exprs else None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        resolved = self.copy()
        resolved.person_pk = query.resolve_ref("pk")
        return resolved

    def as_sql(self, compiler, connection):
        outer_sql, _ = compiler.compile(self.person_pk)
        cached = _compiled(connection)
        if outer_sql == cached.outer:
            return cached.sql, list(cached.params)
        return compiler.compile(colour_expression().resolve_expression(compiler.query))


class _CompiledColour(NamedTuple):
    sql: str
    params: tuple
    outer: str  # how the correlated person id reads in ``sql``


_COMPILED: dict[tuple, _CompiledColour] = {}


def _compiled(connection) -> _CompiledColour:
    r = rules()
    key = (connection.alias, connection.vendor, r.colour_red_mh_risk, r.colour_yellow_mh_risk)
    hit = _COMPILED.get(key)
    if hit is None:
        query = Person.objects.annotate(colour=colour_expression()).values_list("colour").query
        sql, params = query.get_compiler(connection=connection).as_sql()
        qn = connection.ops.quote_name
        table = qn(Person._meta.db_table)
        head, tail = "SELECT ", f" AS {qn('colour')} FROM {table}"
        if not (sql.startswith(head) and sql.endswith(tail)):
            raise RuntimeError(f"unexpected colour SQL shape: {sql[:80]}…")
        hit = _COMPILED[key] = _CompiledColour(
            sql[len(head) : -len(tail)], tuple(params), f"{table}.{qn(Person._meta.pk.column)}"
        )
    return hit
