"""The console's zones pages (included by backend/console/urls.py): draw, edit and deactivate a zone
(views/zones.py)."""

from __future__ import annotations

from django.urls import path

from backend.console.views import zones

urlpatterns: list = [
    path("people/<int:person_id>/zones/new", zones.new_person_zone_page, name="zone_new"),
    path("zone-layers/<int:layer_id>/zones/new", zones.new_layer_zone_page, name="layer_zone_new"),
    path("zones/<int:zone_id>/edit", zones.edit_zone_page, name="zone_edit"),
    path("zones/<int:zone_id>/deactivate", zones.deactivate_zone, name="zone_deactivate"),
]
