"""The console's devices pages (included by backend/console/urls.py): provisioning and binding in one flow,
the credential shown once, a device's edit/bind/unbind, and the shared zone layers."""

from __future__ import annotations

from django.urls import path

from backend.console.views import device_flow, layers

urlpatterns: list = [
    path("devices/new", device_flow.provision_page, name="device_new"),
    path("devices/<int:device_id>/issued", device_flow.issued_page, name="device_issued"),
    path("devices/<int:device_id>/edit", device_flow.edit_page, name="device_edit"),
    path("devices/<int:device_id>/assign", device_flow.assign, name="device_assign"),
    path("devices/<int:device_id>/unassign", device_flow.unassign, name="device_unassign"),
    path("zone-layers/", layers.layer_list, name="zone_layers"),
    path("zone-layers/<int:layer_id>/", layers.layer_page, name="zone_layer"),
    path("zone-layers/<int:layer_id>/persons", layers.layer_persons, name="zone_layer_persons"),
]
