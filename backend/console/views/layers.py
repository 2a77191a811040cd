"""共享区域图层: a county's 禁入 places (schools, entertainment venues) drawn once and assigned to many people
at once.  The list with a form for a new layer; one layer's page with its zones (drawn in the zone editor),
its people, and a form that adds many at once — ticked from the office's people (a filter narrows the list
in the browser) or pasted as ID numbers, matched by blind index and never put in a URL.

Writes go through ``backend/monitoring/actions/layers.py`` (audited; the rule ``zone_layer.manage``); one
person out of reach in the list refuses the whole request, and the page says which entries failed.
"""

from __future__ import annotations

import re

from django.contrib import messages
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import DomainError, Invalid
from backend.core.models import Jurisdiction
from backend.core.policy import require
from backend.monitoring.actions import layers as actions
from backend.monitoring.inputs import LayerPersonsIn, ZoneLayerIn, ZoneLayerPatch
from backend.monitoring.models import ZoneLayer
from backend.people.models import Person

from ..forms import Form, FormErrors, form_page, read_form
from .common import staff_page

CHOICE_LIMIT = 500  # people offered as checkboxes; more are reached by pasting ID numbers
SPLIT = re.compile(r"[\s,，;；、]+")


def _denied(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "console/denied.html", {"message": exc.message, "nav": "zone_layers"}, status=403)


@staff_page
def layer_list(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, "zone_layer.manage")
    except DomainError as exc:
        return _denied(request, exc)
    layers = list(
        ZoneLayer.objects.visible_to(request.user)
        .select_related("jurisdiction")
        .annotate(
            zone_count=Count("zones", filter=Q(zones__active=True), distinct=True),
            person_count=Count(
                "persons", filter=Q(persons__in=Person.objects.visible_to(request.user)), distinct=True
            ),
        )
        .order_by("jurisdiction__path", "name")[:CHOICE_LIMIT]
    )
    jurisdictions = list(Jurisdiction.objects.visible_to(request.user).order_by("path")[:300])

    def run(payload: ZoneLayerIn) -> str:
        home = Jurisdiction.objects.visible_to(request.user).filter(pk=payload.jurisdiction_id).first()
        if home is None:
            raise Invalid("所属单位不存在或不在您的辖区内", {"field": "jurisdiction_id"})
        layer = actions.create_layer(by=request.user, jurisdiction=home, name=payload.name)
        return f"/console/zone-layers/{layer.pk}/"

    return form_page(request, Form(
        "console/zone_layers.html",
        {"layers": layers, "jurisdictions": jurisdictions, "home": request.user.jurisdiction_id, "nav": "zone_layers"},
        ZoneLayerIn, run, "已新建图层：请在图层中添加区域并加入人员", fields=("jurisdiction_id", "name"),
    ))  # fmt: skip


def _layer(request: HttpRequest, layer_id: int) -> ZoneLayer:
    require(request.user, "zone_layer.manage")
    return get_object_or_404(
        ZoneLayer.objects.visible_to(request.user).select_related("jurisdiction"), pk=layer_id
    )  # out of reach → 404


def _link(name: str, args: list, fallback: str) -> str:
    """A zone editor link (the zone editor's own routes), or ``fallback`` where it has none."""
    try:
        return reverse(f"console:{name}", args=args)
    except NoReverseMatch:
        return fallback


def _layer_context(request: HttpRequest, layer: ZoneLayer) -> dict:
    visible = Person.objects.visible_to(request.user)
    members = list(
        visible.filter(zone_layers=layer)
        .select_related("jurisdiction")
        .only("id", "name", "jurisdiction__name")
        .order_by("id")
    )
    hidden = layer.persons.count() - len(members)
    candidates = list(
        visible.filter(jurisdiction__path__startswith=layer.jurisdiction.path)
        .exclude(zone_layers=layer)
        .select_related("jurisdiction")
        .only("id", "name", "jurisdiction__name")
        .order_by("id")[:CHOICE_LIMIT]
    )
    zones = list(layer.zones.order_by("-active", "name"))
    for zone in zones:
        zone.edit_url = _link("zone_edit", [zone.pk], f"/console/zones/{zone.pk}/edit")
    record_audit(
        actor=request.user, action=AuditAction.PERSON_LIST,
        details={"ids": [p.pk for p in members + candidates], "page": "console.zone_layer", "layer": layer.pk},
    )  # fmt: skip
    return {
        "layer": layer, "zones": zones, "members": members, "hidden": hidden, "candidates": candidates,
        "candidate_limit": CHOICE_LIMIT, "nav": "zone_layers",
        "new_zone_url": _link("layer_zone_new", [layer.pk], f"/console/zones/new?layer={layer.pk}"),
    }  # fmt: skip


@staff_page
def layer_page(request: HttpRequest, layer_id: int) -> HttpResponse:
    """The layer; a POST renames it."""
    try:
        layer = _layer(request, layer_id)
    except DomainError as exc:
        return _denied(request, exc)

    def run(payload: ZoneLayerPatch) -> str:
        actions.rename_layer(by=request.user, layer=layer, name=payload.name or "")
        return f"/console/zone-layers/{layer.pk}/"

    context = _layer_context(request, layer)
    return form_page(
        request,
        Form("console/zone_layer.html", context, ZoneLayerPatch, run, "已修改图层名称", fields=("name",)),
    )


@require_POST
@staff_page
def layer_persons(request: HttpRequest, layer_id: int) -> HttpResponse:
    """Add (or remove) many people at once: the ticked ones and the pasted ID numbers, all or none."""
    try:
        layer = _layer(request, layer_id)
    except DomainError as exc:
        return _denied(request, exc)
    post = request.POST.copy()
    numbers = [n for n in SPLIT.split(post.get("id_numbers", "")) if n]
    post.setlist("id_numbers[]", numbers)
    post.pop("id_numbers", None)
    payload, errors = read_form(LayerPersonsIn, post)
    if payload is not None:
        try:
            people = actions.people_named(
                request.user, person_ids=payload.person_ids, id_numbers=payload.id_numbers
            )
            if payload.action == "add":
                changed = actions.assign_people(by=request.user, layer=layer, people=people)
                done = f"已将 {changed} 人加入图层" + (
                    "" if changed == len(people) else f"（{len(people) - changed} 人已在图层中）"
                )
            else:
                changed = actions.remove_people(by=request.user, layer=layer, people=people)
                done = f"已将 {changed} 人移出图层"
        except DomainError as exc:
            errors.from_domain(exc, ("person_ids", "id_numbers"))
        else:
            messages.success(request, done)
            return redirect(f"/console/zone-layers/{layer.pk}/")
    errors = _place(errors, payload.action if payload else request.POST.get("action", "add"))
    context = _layer_context(request, layer)
    return render(
        request, "console/zone_layer.html",
        {**context, "values": {}, "errors": FormErrors(), "assign_values": request.POST, "assign_errors": errors,
         "ticked": set(payload.person_ids) if payload else set()},
        status=422,
    )  # fmt: skip


def _place(errors: FormErrors, action: str) -> FormErrors:
    """A refusal of the remove form goes on top of it; the list errors of ``person_ids.3`` beside the list."""
    fields = {}
    for name, message in errors.fields.items():
        fields[name.split(".")[0]] = message
    errors.fields = fields
    errors.action = action
    return errors
