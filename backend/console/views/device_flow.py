"""登记并绑定设备: provision a tracker and hand it to a person in one flow, and the device page's own forms.

The form validates with the API's ``DeviceIn`` (backend/monitoring/inputs.py) plus whom to bind: the person
the page was opened for (``?person=`` from the person page) or one found by ID number (blind index; never in
a URL).  The action is ``provision_and_assign`` — all or nothing, so a tag refused for want of an order in
force (社区矫正法 Art. 29) leaves no device and no credential behind, and the refusal says why.

The OsmAnd identifier or JT/T 808 auth code is shown **once**: the POST seals it (the data key, as any
sensitive field) into the session and redirects to the device's 已登记 page, which takes it out again and
answers ``Cache-Control: no-store``; reloading that page finds nothing and says so.  Beside it a QR code
(``backend/console/qr.py``) carries what the phone or terminal needs (``backend/monitoring/device_setup.py``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from pydantic import Field

from backend.core.crypto.keyring import DecryptionError, decrypt_value, encrypt_value
from backend.core.errors import DomainError, Invalid, NotFound
from backend.core.http.types import Id
from backend.core.models import Jurisdiction
from backend.core.policy import require
from backend.monitoring.actions import devices as actions
from backend.monitoring.device_setup import server_address, setup_text
from backend.monitoring.inputs import DeviceIn, DevicePatch
from backend.monitoring.models import Device, DeviceKind, Protocol
from backend.people.models import Person

from ..forms import Form, FormErrors, form_page, read_form
from ..names import give_names
from ..qr import qr_svg
from .common import act, int_or_none, staff_page

CHOICE_LIMIT = 300  # offices and people offered in a select
SESSION_KEY = "device_credential:{}"


class ProvisionForm(DeviceIn):
    """The API's input, and whom to bind the new device to (optional)."""

    person_id: Id | None = None
    person_id_number: str | None = Field(None, max_length=32)


FIELDS = ("jurisdiction_id", "kind", "protocol", "identifier", "model", "label", "person_id_number")


def _denied(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return render(request, "console/denied.html", {"message": exc.message, "nav": "devices"}, status=403)


def _person(request: HttpRequest, person_id: int | None) -> Person | None:
    if person_id is None:
        return None
    return get_object_or_404(
        Person.objects.visible_to(request.user).select_related("jurisdiction"), pk=person_id
    )


def _person_by_id_number(request: HttpRequest, number: str) -> Person:
    token = Person._meta.get_field("id_number_index").token(number.strip().upper())
    person = Person.objects.visible_to(request.user).filter(id_number_index=token).first()
    if person is None:
        raise NotFound("未找到此证件号码的人员，或其不在您的查看范围内", {"field": "person_id_number"})
    return person


def _seal(request: HttpRequest, device: Device, credential: str) -> None:
    aad = SESSION_KEY.format(device.pk).encode()
    request.session[SESSION_KEY.format(device.pk)] = encrypt_value(credential.encode(), aad)


def _unseal(request: HttpRequest, device: Device) -> str | None:
    key = SESSION_KEY.format(device.pk)
    token = request.session.pop(key, None)
    if not token:
        return None
    try:
        return decrypt_value(token, key.encode()).decode()
    except DecryptionError:
        return None


@staff_page
def provision_page(request: HttpRequest) -> HttpResponse:
    try:
        require(request.user, "device.manage")
    except DomainError as exc:
        return _denied(request, exc)
    source = request.POST if request.method == "POST" else request.GET
    person = _person(request, int_or_none(source.get("person_id") or source.get("person")))
    jurisdictions = list(Jurisdiction.objects.visible_to(request.user).order_by("path")[:CHOICE_LIMIT])
    home = person.jurisdiction_id if person else request.user.jurisdiction_id
    context = {
        "jurisdictions": jurisdictions, "kinds": DeviceKind.choices, "protocols": Protocol.choices,
        "person": person, "home": home, "nav": "devices",
    }  # fmt: skip
    if request.method != "POST":
        initial = {"jurisdiction_id": str(home), "kind": "phone" if person else "", "protocol": "osmand"}
        return render(
            request, "console/device_new.html", {**context, "values": initial, "errors": FormErrors()}
        )
    payload, errors = read_form(ProvisionForm, request.POST)
    if payload is not None:
        try:
            device, credential = _provision(request, payload, person)
        except DomainError as exc:
            errors.from_domain(exc, FIELDS)
        else:
            if credential:
                _seal(request, device, credential)
                return redirect(f"/console/devices/{device.pk}/issued")
            messages.success(request, "设备已登记" + ("并绑定" if device.person_id else ""))
            return redirect(f"/console/devices/{device.pk}/")
    return render(
        request, "console/device_new.html", {**context, "values": request.POST, "errors": errors}, status=422
    )


def _provision(
    request: HttpRequest, payload: ProvisionForm, person: Person | None
) -> tuple[Device, str | None]:
    home = Jurisdiction.objects.visible_to(request.user).filter(pk=payload.jurisdiction_id).first()
    if home is None:
        raise Invalid("所属单位不存在或不在您的辖区内", {"field": "jurisdiction_id"})
    if person is None and payload.person_id_number:
        person = _person_by_id_number(request, payload.person_id_number)
    values = {
        "by": request.user, "jurisdiction": home, "kind": payload.kind, "protocol": payload.protocol,
        "identifier": payload.identifier, "model": payload.model, "label": payload.label,
    }  # fmt: skip
    if person is None:
        result = actions.provision_device(**values)
    else:
        result = actions.provision_and_assign(person=person, **values)
    return result.device, result.credential


def _device(request: HttpRequest, device_id: int) -> Device:
    require(request.user, "device.manage")
    return get_object_or_404(Device.objects.visible_to(request.user), pk=device_id)  # out of reach → 404


@staff_page
def issued_page(request: HttpRequest, device_id: int) -> HttpResponse:
    """The credential, once: taken out of the session as it is shown."""
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return _denied(request, exc)
    credential = _unseal(request, device)
    if credential is None:
        messages.info(request, "设备标识或鉴权码只在登记后显示一次，系统只保存其摘要，无法再次显示")
        return redirect(f"/console/devices/{device.pk}/")
    give_names(request.user, [device])
    setup = setup_text(device, credential)
    response = render(request, "console/device_done.html", {
        "device": device, "credential": credential, "setup": setup, "server": server_address(device),
        "qr": qr_svg(setup, title="扫码配置") if setup else None, "nav": "devices",
    })  # fmt: skip
    response["Cache-Control"] = "no-store"  # the credential must not come back from a cache
    return response


@staff_page
def edit_page(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return _denied(request, exc)

    def run(payload: DevicePatch) -> str:
        actions.update_device(
            by=request.user, device=device, model=payload.model or "", label=payload.label or ""
        )
        return f"/console/devices/{device.pk}/"

    return form_page(request, Form(
        "console/device_edit.html", {"device": device, "nav": "devices", "stored": {"model": device.model, "label": device.label}},
        DevicePatch, run, "已保存型号和备注名", fields=("model", "label"),
    ))  # fmt: skip


@require_POST
@staff_page
def assign(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return _denied(request, exc)
    back = f"/console/devices/{device.pk}/"

    def run() -> None:
        person_id = int_or_none(request.POST.get("person_id"))
        number = (request.POST.get("person_id_number") or "").strip()
        if person_id is not None:
            person = Person.objects.visible_to(request.user).filter(pk=person_id).first()
            if person is None:
                raise NotFound("人员不存在或不在您的查看范围内")
        elif number:
            person = _person_by_id_number(request, number[:32])
        else:
            raise Invalid("请选择人员或填写证件号码")
        actions.assign_device(by=request.user, device=device, person=person)

    return act(request, back, run, "设备已绑定")


@require_POST
@staff_page
def unassign(request: HttpRequest, device_id: int) -> HttpResponse:
    try:
        device = _device(request, device_id)
    except DomainError as exc:
        return _denied(request, exc)
    return act(
        request, f"/console/devices/{device.pk}/",
        lambda: actions.unassign_device(by=request.user, device=device), "已解除绑定（设备收回）",
    )  # fmt: skip
