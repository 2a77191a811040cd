"""``manage.py import_boundary --jurisdiction CODE --file county.geojson``: the default inclusion zone.

Reads a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection (WGS-84), validates it, and makes it
the boundary every correction subject under the jurisdiction must stay inside unless on approved leave.
Running it again replaces the geometry in place, so open violations keep their subject ("zone:<id>").
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.errors import Invalid
from backend.core.models import Jurisdiction
from backend.monitoring.actions.zones import check_geometry
from backend.monitoring.models import Zone, ZoneLayer


def polygonal(document: dict) -> dict:
    """One Polygon or MultiPolygon from whatever GeoJSON wrapper came in."""
    if document.get("type") == "FeatureCollection":
        parts = [polygonal(feature) for feature in document.get("features", [])]
        if not parts:
            raise CommandError("FeatureCollection 中没有要素")
        if len(parts) == 1:
            return parts[0]
        coordinates = []
        for part in parts:
            coordinates += [part["coordinates"]] if part["type"] == "Polygon" else part["coordinates"]
        return {"type": "MultiPolygon", "coordinates": coordinates}
    if document.get("type") == "Feature":
        return polygonal(document.get("geometry") or {})
    if document.get("type") in ("Polygon", "MultiPolygon"):
        return document
    raise CommandError(
        f"只接受 Polygon/MultiPolygon（或其 Feature/FeatureCollection），实际为 {document.get('type')!r}"
    )


class Command(BaseCommand):
    help = "导入县（区）边界 GeoJSON，作为辖区内全部社区矫正对象的默认允许区域"

    def add_arguments(self, parser):
        parser.add_argument("--jurisdiction", required=True, help="辖区区划代码（通常为县级）")
        parser.add_argument("--file", required=True, help="GeoJSON 文件（WGS-84）")
        parser.add_argument("--name", default=None, help="区域名称（默认：<辖区>边界）")

    def handle(self, *args, jurisdiction: str, file: str, name: str | None, **options):
        node = Jurisdiction.objects.filter(code=jurisdiction).first()
        if node is None:
            raise CommandError(f"没有区划代码为 {jurisdiction} 的辖区")
        try:
            document = json.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"无法读取 GeoJSON：{exc}") from None
        geometry = polygonal(document)
        try:
            check_geometry(geometry)
        except Invalid as exc:
            raise CommandError(f"边界无效：{exc.message}") from None
        label = name or f"{node.name}边界"
        with transaction.atomic():
            layer, _ = ZoneLayer.objects.get_or_create(
                jurisdiction=node, default_for_correction=True, defaults={"name": label}
            )
            zone = layer.zones.first()
            if zone is None:
                zone = Zone.objects.create(
                    name=label, kind="inclusion", jurisdiction=node, layer=layer, geometry=geometry
                )
            else:
                zone.name, zone.geometry, zone.active = label, geometry, True
                zone.save()
            record_audit(actor=None, actor_label="command:import_boundary", action=AuditAction.ZONE_IMPORT_BOUNDARY, target=zone,
                         details={"jurisdiction": node.code, "parts": len(geometry["coordinates"])})  # fmt: skip
        self.stdout.write(
            self.style.SUCCESS(f"已导入 {label}（区域 {zone.pk}），适用于 {node.name} 的全部社区矫正对象")
        )
