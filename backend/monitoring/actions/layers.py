"""Shared zone layers (共享区域图层): a county's 禁入 places — schools, entertainment venues — drawn once and
assigned to many people at once.  Each action writes its audit row.

A person's zones are their own, their layers' and the default correction layers above them
(``ZoneQuerySet.applying_to``).  The gateway's zone watch rebuilds its per-person zones when any zone's
``updated_at`` moves (``zone_watch.ZoneCache``), so adding or removing people touches the layer's zones:
the change reaches it within its refresh interval, as an order's change reaches it through the devices
(``orders._touch_devices``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Conflict, Invalid, NotFound
from backend.core.models import Jurisdiction, User
from backend.core.policy import require
from backend.monitoring.models import Zone, ZoneLayer
from backend.people.idcard import parse_resident_id
from backend.people.models import Person

# One request names at most this many people (a county's caseload is a few hundred; larger lists are
# imports, not a form).
MAX_PEOPLE = 1000


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("请填写图层名称", {"field": "name"})
    if len(name) > 100 or "\x00" in name:
        raise Invalid("图层名称最多 100 个字符，且不能含控制字符", {"field": "name"})
    return name


def create_layer(*, by: User, jurisdiction: Jurisdiction, name: str) -> ZoneLayer:
    layer = ZoneLayer(jurisdiction=jurisdiction, name=_clean_name(name))
    require(by, "zone_layer.manage", layer)
    with transaction.atomic():
        layer.save()
        record_audit(
            actor=by,
            action=AuditAction.ZONE_LAYER_CREATE,
            target=layer,
            details={"jurisdiction": jurisdiction.pk},
        )
    return layer


def rename_layer(*, by: User, layer: ZoneLayer, name: str) -> ZoneLayer:
    require(by, "zone_layer.manage", layer)
    name = _clean_name(name)
    if name != layer.name:
        with transaction.atomic():
            ZoneLayer.objects.filter(pk=layer.pk).update(name=name)
            record_audit(
                actor=by, action=AuditAction.ZONE_LAYER_UPDATE, target=layer, details={"fields": ["name"]}
            )
        layer.name = name
    return layer


def people_named(by: User, *, person_ids: Iterable[int] = (), id_numbers: Iterable[str] = ()) -> list[Person]:
    """The people a bulk request names, all of them or none: an ID number that is malformed, or anyone the
    user may not see (out of their jurisdiction, a sealed file without a grant — indistinguishable from
    absent), refuses the whole request, saying which entries failed (by position, never echoing a number)."""
    ids = list(dict.fromkeys(int(i) for i in person_ids))
    numbers = [n.strip().upper() for n in id_numbers if n and n.strip()]
    if len(ids) + len(numbers) > MAX_PEOPLE:
        raise Invalid(f"一次最多处理 {MAX_PEOPLE} 人", {"field": "id_numbers"})
    for position, number in enumerate(numbers, 1):
        if "\x00" in number or len(number) > 32:
            raise Invalid(f"第 {position} 个证件号码无效", {"field": "id_numbers"})
        if len(number) == 18:
            try:
                parse_resident_id(number)
            except Invalid as exc:
                raise Invalid(
                    f"第 {position} 个证件号码无效：{exc.message}", {"field": "id_numbers"}
                ) from None
    visible = Person.objects.visible_to(by)
    found = {p.pk: p for p in visible.filter(pk__in=ids)} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(
            f"{len(missing)} 名人员不存在或不在您的查看范围内，未做任何更改",
            {"field": "person_ids", "missing": missing},
        )
    token = Person._meta.get_field("id_number_index").token
    by_token = {token(n): position for position, n in enumerate(numbers, 1)}
    matched = (
        {p.id_number_index: p for p in visible.filter(id_number_index__in=list(by_token))} if numbers else {}
    )
    unmatched = [position for t, position in by_token.items() if t not in matched]
    if unmatched:
        where = "、".join(f"第 {p} 个" for p in sorted(unmatched)[:20])
        raise NotFound(
            f"{where}证件号码未找到或不在您的查看范围内，未做任何更改",
            {"field": "id_numbers", "positions": sorted(unmatched)},
        )
    people = dict(found)
    for person in matched.values():
        people.setdefault(person.pk, person)
    if not people:
        raise Invalid("请至少选择一名人员或填写一个证件号码", {"field": "person_ids"})
    return list(people.values())


def _touch_zones(layer: ZoneLayer) -> None:
    """The zone watch rebuilds when a zone's ``updated_at`` moves: who a layer applies to changed."""
    Zone.objects.filter(layer=layer).update(updated_at=timezone.now())


def assign_people(*, by: User, layer: ZoneLayer, people: list[Person]) -> int:
    """Add people to the layer; those already on it are left as they are.  Returns how many were added."""
    require(by, "zone_layer.manage", layer)
    if layer.default_for_correction:
        raise Conflict("此图层自动适用于辖区内全部社区矫正对象，无需逐人加入", {"field": "person_ids"})
    with transaction.atomic():
        already = set(layer.persons.filter(pk__in=[p.pk for p in people]).values_list("pk", flat=True))
        added = [p for p in people if p.pk not in already]
        if added:
            layer.persons.add(*added)
            _touch_zones(layer)
            record_audit(
                actor=by, action=AuditAction.ZONE_LAYER_ASSIGN, target=layer,
                details={"persons": sorted(p.pk for p in added)},
            )  # fmt: skip
    return len(added)


def remove_people(*, by: User, layer: ZoneLayer, people: list[Person]) -> int:
    """Take people off the layer; those not on it are ignored.  Returns how many were removed."""
    require(by, "zone_layer.manage", layer)
    with transaction.atomic():
        present = list(layer.persons.filter(pk__in=[p.pk for p in people]))
        if present:
            layer.persons.remove(*present)
            _touch_zones(layer)
            record_audit(
                actor=by, action=AuditAction.ZONE_LAYER_UNASSIGN, target=layer,
                details={"persons": sorted(p.pk for p in present)},
            )  # fmt: skip
    return len(present)
