"""Registering and updating persons, and granting access to restricted files.  Each writes its audit row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Forbidden, Invalid
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.core.rules import rules
from backend.core.scoping import forget_scopes
from backend.people.idcard import DocumentType, parse_resident_id, validate_document
from backend.people.models import AccessGrant, Person, PersonContact, PersonPhone


@dataclass
class PersonData:
    """What a form or API call supplies; None means "leave unchanged" on update."""

    name: str | None = None
    former_names: list[str] | None = None
    id_type: str | None = None
    id_number: str | None = None
    gender: str | None = None
    birth_date: dt.date | None = None
    ethnicity: str | None = None
    household_address: str | None = None
    residence_address: str | None = None
    residence_point: dict[str, float] | None = None
    employer: str | None = None
    is_minor: bool | None = None
    is_sealed: bool | None = None
    phones: list[dict[str, str]] | None = None
    contacts: list[dict[str, Any]] | None = None
    changed: list[str] = field(default_factory=list)


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_identity(person: Person) -> None:
    """The ID number must be valid, and agree with the gender and birth date given beside it."""
    person.id_number = validate_document(person.id_type, person.id_number)
    if person.id_type != DocumentType.RESIDENT_ID:
        return
    parsed = parse_resident_id(person.id_number)
    if person.birth_date is None:
        person.birth_date = parsed.birth_date
    elif person.birth_date != parsed.birth_date:
        raise Invalid("出生日期与身份证号码不一致", {"field": "birth_date"})
    if person.gender in (None, "", "unknown"):
        person.gender = parsed.gender
    elif person.gender != parsed.gender:
        raise Invalid("性别与身份证号码不一致", {"field": "gender"})


def _check_point(point: dict[str, float] | None) -> None:
    if point is None:
        return
    lat, lon = point.get("lat"), point.get("lon")
    if (
        not isinstance(lat, int | float)
        or not isinstance(lon, int | float)
        or not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        raise Invalid("居住地坐标应为 WGS-84 经纬度 {lat, lon}", {"field": "residence_point"})
    if lat == 0 and lon == 0:
        raise Invalid("居住地坐标 (0, 0) 不是有效位置", {"field": "residence_point"})


def _apply(person: Person, data: PersonData) -> list[str]:
    changed = []
    for name in (
        "name", "former_names", "id_type", "id_number", "gender", "birth_date", "ethnicity",
        "household_address", "residence_address", "residence_point", "employer", "is_sealed",
    ):  # fmt: skip
        value = getattr(data, name)
        if value is not None and value != getattr(person, name, None):
            setattr(person, name, value)
            changed.append(name)
    if person.name is not None and not person.name.strip():
        raise Invalid("姓名不能为空", {"field": "name"})
    _check_identity(person)
    _check_point(person.residence_point)
    if data.is_minor is not None:
        person.is_minor = data.is_minor
    elif person.birth_date is not None:
        # A minor's file is closed by law (社区矫正法 ch.5) and stays closed after the 18th birthday;
        # derive the flag when nobody set it explicitly.
        person.is_minor = (
            person.is_minor or age_on(person.birth_date, timezone.localdate()) < rules().minor_age
        )
    return changed


def _replace_children(person: Person, data: PersonData) -> list[str]:
    changed = []
    if data.phones is not None:
        person.phones.all().delete()
        PersonPhone.objects.bulk_create(
            [
                PersonPhone(person=person, number=p["number"], label=p.get("label", ""))
                for p in data.phones
                if p.get("number")
            ]
        )
        changed.append("phones")
    if data.contacts is not None:
        person.contacts.all().delete()
        for c in data.contacts:
            PersonContact.objects.create(
                person=person,
                relation=c["relation"],
                name=c["name"],
                phone=c.get("phone"),
                is_guardian=c.get("is_guardian", False),
            )
        changed.append("contacts")
    return changed


def prepare_person(*, by: User, jurisdiction: Jurisdiction, data: PersonData) -> Person:
    """The unsaved, checked file ``register_person`` saves: every rule a registration passes before the
    database (also the spreadsheet import's, backend/people/actions/imports.py, which saves in bulk)."""
    require(by, "person.edit")
    if not data.name or not data.id_number:
        raise Invalid("姓名与证件号码为必填项")
    person = Person(
        jurisdiction=jurisdiction, created_by=by, id_type=data.id_type or DocumentType.RESIDENT_ID
    )
    _apply(person, data)
    return person


def register_person(*, by: User, jurisdiction: Jurisdiction, data: PersonData) -> Person:
    """Open a file (建档).  A minor's or sealed file gets its registering officer an access grant."""
    person = prepare_person(by=by, jurisdiction=jurisdiction, data=data)
    try:
        with transaction.atomic():
            person.save()
            _replace_children(person, data)
            if person.is_restricted:
                # As long as any grant may run; then a county head renews it with a reason.
                _grant(person=person, user=by, by=by, reason="建档人", days=rules().access_grant_max_days)
            record_audit(
                actor=by,
                action=AuditAction.PERSON_CREATE,
                target=person,
                details={"restricted": person.is_restricted},
            )
    except IntegrityError:
        raise Conflict("该证件号码已建档，请通过证件号码查询", {"field": "id_number"}) from None
    return person


def update_person(*, by: User, person: Person, data: PersonData) -> Person:
    """Change particulars.  A file that becomes restricted here (sealed, or a minor's) gets the officer who
    made it so the same capped grant as at registration: sealing never locks its own officer out."""
    require(by, "person.edit")
    was_restricted = person.is_restricted
    changed = _apply(person, data)
    try:
        with transaction.atomic():
            person.save()
            changed += _replace_children(person, data)
            if person.is_restricted and not was_restricted and not _holds_grant(by, person):
                _grant(
                    person=person, user=by, by=by, reason="封存/限制人", days=rules().access_grant_max_days
                )
            record_audit(
                actor=by, action=AuditAction.PERSON_UPDATE, target=person, details={"fields": changed}
            )
    except IntegrityError:
        raise Conflict("该证件号码已建档", {"field": "id_number"}) from None
    return person


def _holds_grant(user: User, person: Person) -> bool:
    return AccessGrant.objects.filter(
        person=person, user=user, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def _grant(*, person: Person, user: User, by: User, reason: str, days: int) -> AccessGrant:
    grant = AccessGrant.objects.create(
        person=person,
        user=user,
        reason=reason,
        granted_by=by,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    record_audit(
        actor=by, action=AuditAction.PERSON_GRANT, target=person, details={"user": user.pk, "days": days}
    )
    forget_scopes(user)  # the grantee opens the file at once
    return grant


def grant_access(*, by: User, person: Person, user: User, reason: str, days: int) -> AccessGrant:
    """查阅授权 for a minor's or sealed file: county head or admin, with a stated legal reason."""
    require(by, "person.grant")
    if not person.is_restricted:
        raise Conflict("该档案不是未成年人或封存档案，无需授权")
    if not reason.strip():
        raise Invalid("请填写授权依据", {"field": "reason"})
    longest = rules().access_grant_max_days
    if not 1 <= days <= longest:
        raise Invalid(f"授权期限应在 1 到 {longest} 天之间", {"field": "days"})
    if user.jurisdiction is None or not by.jurisdiction.contains(user.jurisdiction):
        raise Forbidden("只能授权本辖区的工作人员")
    with transaction.atomic():
        return _grant(person=person, user=user, by=by, reason=reason, days=days)


def revoke_grant(*, by: User, grant: AccessGrant) -> AccessGrant:
    require(by, "person.grant")
    with transaction.atomic():
        if AccessGrant.objects.filter(pk=grant.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            record_audit(
                actor=by,
                action=AuditAction.PERSON_GRANT_REVOKE,
                target=grant.person,
                details={"grant": grant.pk},
            )
    forget_scopes(grant.user)  # before the refresh, which drops the object in hand
    grant.refresh_from_db()
    return grant
