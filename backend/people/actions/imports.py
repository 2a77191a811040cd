"""批量导入: persons and their cases from a spreadsheet, all or nothing.

``check_import`` reads the file and checks every row exactly as a registration and an opened case are
checked (backend/people/transfer/rows.py → ``prepare_person``, ``check_correction`` …), plus duplicates by
ID number within the file and against the files already kept (by blind index); it writes nothing — the
dry run is this call.  ``import_rows`` writes what a clean check returned in ONE transaction: any error
and nothing is written.

Why in bulk, not ``register_person`` once a row: one row costs that action and the opener about twenty
statements (2.7 ms; 27 s for 10,000 rows on this machine), and on SQLite a write transaction locks the
whole database — every officer's page (each writes its audit row) and the GPS gateway would wait half a
minute.  So the checks run first, outside any transaction, and the write is a few bulk inserts of the
rows those checks built, with the actions' own side effects: the registering officer's grant on a
restricted file, the case number, an empty team, the detail row with its deadline, the first risk mark,
and the same audit rows (``person.grant``, ``person.create``, ``case.open``), plus one ``person.import``.
``tests/people/test_imports.py`` holds the bulk result against the single actions field by field.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from backend.core.audit import record_audits
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict
from backend.core.models import User
from backend.core.policy import require
from backend.core.rules import rules
from backend.core.scoping import forget_scopes
from backend.people.actions.cases import (
    NUMBER_PREFIX,
    aftercare_detail,
    aftercare_status,
    correction_detail,
    stability_for,
)
from backend.people.models import (
    AccessGrant,
    Case,
    CaseKind,
    CaseMark,
    CaseStatus,
    MarkKind,
    MentalHealthDetail,
    Person,
    PersonPhone,
    Team,
)
from backend.people.transfer.reading import Limits, read_sheet
from backend.people.transfer.rows import ImportRow, Places, RowError, check_row, sheet_cells

Progress = Callable[[str, int, int], None]  # (stage, done, total)
BATCH = 500


@dataclass
class Checked:
    total: int
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    cells: list[tuple[int, dict]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.total > 0


@dataclass
class Imported:
    persons: int
    cases: dict[str, int]
    first_id: int | None
    last_id: int | None


def _token(id_number: str) -> str:
    return Person._meta.get_field("id_number_index").token(id_number)


def check_cells(by: User, cells: list[tuple[int, dict]], progress: Progress | None = None) -> Checked:
    """Every row checked; duplicates by ID number within the file and against the database reported."""
    require(by, "person.import")
    places = Places(by)
    checked = Checked(total=len(cells), cells=cells)
    seen: dict[str, int] = {}
    for index, (number, row_cells) in enumerate(cells, start=1):
        row, errors = check_row(by, places, number, row_cells)
        checked.errors += errors
        if row is not None:
            token = _token(row.person.id_number)
            if token in seen:
                checked.errors.append(RowError(number, "证件号码", f"与第 {seen[token]} 行的证件号码重复"))
            else:
                seen[token] = number
                checked.rows.append(row)
        if progress and index % 200 == 0:
            progress("check", index, len(cells))
    checked.errors += _already_on_file(checked.rows)
    checked.errors.sort(key=lambda e: e.row)
    if progress:
        progress("check", len(cells), len(cells))
    return checked


def _already_on_file(rows: list[ImportRow]) -> list[RowError]:
    by_token = {_token(row.person.id_number): row.number for row in rows}
    tokens, found = list(by_token), []
    for start in range(0, len(tokens), BATCH):
        found += Person.objects.filter(id_number_index__in=tokens[start : start + BATCH]).values_list(
            "id_number_index", flat=True
        )
    return [RowError(by_token[t], "证件号码", "该证件号码已建档，不会重复导入（请删除此行）") for t in found]


def check_import(by: User, content: bytes, filename: str, progress: Progress | None = None) -> Checked:
    """The dry run: read and check everything, write nothing.  A file that cannot be read → Invalid."""
    require(by, "person.import")
    return check_cells(by, sheet_cells(read_sheet(content, filename, Limits.from_settings())), progress)


class ImportRefused(Conflict):
    """A row failed when the import ran (e.g. someone registered the same ID number meanwhile)."""

    def __init__(self, errors: list[RowError]):
        first = errors[0]
        super().__init__(
            f"第 {first.row} 行：{first.column} {first.message}；未写入任何数据", {"row": first.row}
        )
        self.errors = errors


def import_rows(*, by: User, cells: list[tuple[int, dict]], progress: Progress | None = None) -> Imported:
    """Check again (the database may have changed since the dry run) and write every row, or none."""
    checked = check_cells(by, cells, progress)
    if not checked.ok:
        raise ImportRefused(checked.errors or [RowError(0, "", "文件中没有数据行")])
    rows = checked.rows
    with transaction.atomic():
        late = _already_on_file(rows)  # under the write lock now: nobody registers in between
        if late:
            raise ImportRefused(late)
        persons = _write_persons(by, rows, progress)
        cases = _write_cases(by, rows, progress)
        events = _audit_events(by, rows, cases)
        counts = Counter(row.case_kind for row in rows if row.case_kind)
        events.append((AuditAction.PERSON_IMPORT, None, {
            "rows": len(rows), "persons": len(persons), "cases": dict(counts),
            "first_person": persons[0].pk, "last_person": persons[-1].pk,
        }))  # fmt: skip
        record_audits(actor=by, events=events)
    if progress:
        progress("done", len(rows), len(rows))
    return Imported(len(persons), dict(counts), persons[0].pk, persons[-1].pk)


def _write_persons(by: User, rows: list[ImportRow], progress: Progress | None) -> list[Person]:
    persons = [row.person for row in rows]
    for start in range(0, len(persons), BATCH):
        Person.objects.bulk_create(persons[start : start + BATCH])
        if progress:
            progress("write", min(start + BATCH, len(persons)), len(persons))
    PersonPhone.objects.bulk_create(
        [PersonPhone(person=row.person, number=p["number"], label=p.get("label", "")) for row in rows for p in row.phones],
        batch_size=BATCH,
    )  # fmt: skip
    restricted = [p for p in persons if p.is_restricted]
    if restricted:
        # As register_person: the registering officer may open the minor's or sealed file they created.
        expires = timezone.now() + dt.timedelta(days=rules().access_grant_max_days)
        AccessGrant.objects.bulk_create(
            [AccessGrant(person=p, user=by, reason="建档人", granted_by=by, expires_at=expires) for p in restricted],
            batch_size=BATCH,
        )  # fmt: skip
        forget_scopes(by)
    return persons


def _new_case(by: User, row: ImportRow) -> Case:
    kind, values = row.case_kind, row.case
    status, opened_on = {
        CaseKind.CORRECTION: (CaseStatus.PENDING_REPORT, values.get("judgment_effective_on")),
        CaseKind.AFTERCARE: (aftercare_status(values.get("origin", "")),
                             values.get("release_notice_on") or values.get("release_on")),
        CaseKind.MENTAL_HEALTH: (CaseStatus.ACTIVE, values.get("opened_on")),
    }[kind]  # fmt: skip
    case = Case(person=row.person, kind=kind, status=status, jurisdiction=row.person.jurisdiction,
                opened_on=opened_on, officer=by)  # fmt: skip
    if kind == CaseKind.MENTAL_HEALTH:
        case.risk_level = values["risk_level"]
    return case


def _write_cases(by: User, rows: list[ImportRow], progress: Progress | None) -> dict[int, Case]:
    """Each row's new case by row number."""
    with_case = [row for row in rows if row.case_kind]
    cases = [_new_case(by, row) for row in with_case]
    for start in range(0, len(cases), BATCH):
        batch = cases[start : start + BATCH]
        Case.objects.bulk_create(batch)
        for case in batch:  # the number embeds the id, as _new_case writes it
            case.number = f"{NUMBER_PREFIX[case.kind]}{case.opened_on.year}{case.pk:06d}"
        _set_numbers(batch)
    Team.objects.bulk_create([Team(case=case) for case in cases], batch_size=BATCH)
    corrections, aftercare, health, marks = [], [], [], []
    for row, case in zip(with_case, cases, strict=True):
        values = row.case
        if case.kind == CaseKind.CORRECTION:
            corrections.append(correction_detail(case=case, **values))
        elif case.kind == CaseKind.AFTERCARE:
            aftercare.append(aftercare_detail(case=case, **values))
        else:
            level = values["risk_level"]
            health.append(
                MentalHealthDetail(case=case, diagnosis=values["diagnosis"], stability=stability_for(level))
            )
            marks.append(CaseMark(case=case, kind=MarkKind.RISK_LEVEL, value=str(level),
                                  effective_on=values["opened_on"], reason="建档评估", by=by))  # fmt: skip
    for model_rows in (corrections, aftercare, health, marks):
        if model_rows:
            type(model_rows[0]).objects.bulk_create(model_rows, batch_size=BATCH)
    if progress:
        progress("write", len(rows), len(rows))
    return {row.number: case for row, case in zip(with_case, cases, strict=True)}


def _set_numbers(cases: list[Case]) -> None:
    """One prepared UPDATE run per case: ``bulk_update``'s CASE WHEN over 500 ids cost more than all the
    inserts together."""
    quote = connection.ops.quote_name
    table, number, pk = quote(Case._meta.db_table), quote("number"), quote("id")
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {number} = %s WHERE {pk} = %s",  # noqa: S608 (the model's own names)
            [(case.number, case.pk) for case in cases],
        )


def _audit_events(by: User, rows: list[ImportRow], cases: dict[int, Case]) -> list:
    """The rows register_person and the openers write, in their order."""
    days = rules().access_grant_max_days
    events = []
    for row in rows:
        person = row.person
        if person.is_restricted:
            events.append((AuditAction.PERSON_GRANT, person, {"user": by.pk, "days": days}))
        events.append((AuditAction.PERSON_CREATE, person, {"restricted": person.is_restricted}))
        case = cases.get(row.number)
        if case is None:
            continue
        details = {"kind": case.kind}
        if case.kind == CaseKind.CORRECTION:
            details["sentence_type"] = row.case["sentence_type"]
        elif case.kind == CaseKind.AFTERCARE:
            details["origin"] = row.case["origin"]
        else:
            details["risk_level"] = row.case["risk_level"]
        events.append((AuditAction.CASE_OPEN, case, details))
    return events
