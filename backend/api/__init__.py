"""The NinjaAPI root at /api/v1/: the top floor that assembles every app's routers, the health check and
the docs guard.  What the routers build on (error shape, auth schemes, pagination, bounded types) is the
toolkit in ``backend/core/http/``, so that nothing below imports this module."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest
from ninja.renderers import JSONRenderer

from backend.core.api import auth as auth_routes
from backend.core.api import directory
from backend.core.api.schemas import HealthOut
from backend.core.http.errors import error_response, install_error_handlers
from backend.core.http.openapi import DocumentedAPI
from backend.core.http.security import AUTH
from backend.core.http.text import refuse_unstorable_text
from backend.monitoring.api import alerts as monitoring_alerts
from backend.monitoring.api import devices as monitoring_devices
from backend.monitoring.api import layers as monitoring_layers
from backend.monitoring.api import orders as monitoring_orders
from backend.monitoring.api import zones as monitoring_zones
from backend.people.api import cases as people_cases
from backend.people.api import persons as people_persons
from backend.people.api import teams as people_teams
from backend.reports.api import reports as reports_api
from backend.supervision.api import checkins as supervision_checkins
from backend.supervision.api import due_items as supervision_due_items
from backend.supervision.api import followups as supervision_followups
from backend.supervision.api import leave as supervision_leave
from backend.supervision.api import sanctions as supervision_sanctions
from notifications import api as notifications_api

VERSION = "0.1.0"


class ChineseJSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def docs_for_staff(view):
    """The interactive docs need a signed-in session; the OpenAPI document a session or a bearer token,
    like every other API answer (it maps the whole surface for a stranger otherwise)."""
    protected = login_required(view, login_url="/login/")

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if not request.path.endswith("/openapi.json"):
            return protected(request, *args, **kwargs)
        if any(method(request) for method in AUTH):
            return view(request, *args, **kwargs)
        return error_response(401, "unauthenticated", "未登录或登录凭据无效：接口文档需登录或令牌")

    return wrapper


api = DocumentedAPI(
    title="安帮 API",
    version=VERSION,
    description="社区矫正、安置帮教与严重精神障碍患者服务管理。认证：会话（需 CSRF）或 `Authorization: Bearer <令牌>`。",
    auth=AUTH,
    urls_namespace="api",
    renderer=ChineseJSONRenderer(),
    docs_decorator=docs_for_staff,
)
install_error_handlers(api)
api.add_decorator(refuse_unstorable_text)


@api.get("/health", auth=None, response=HealthOut, tags=["运维"], summary="健康检查")
def health(request: HttpRequest):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor, "version": VERSION}


api.add_router("/auth", auth_routes.router)
api.add_router("/jurisdictions", directory.jurisdictions)
api.add_router("/users", directory.users)
api.add_router("/tokens", directory.tokens)
api.add_router("/persons", people_persons.router)
api.add_router("/cases", people_cases.router)
api.add_router("/teams", people_teams.router)
api.add_router("/devices", monitoring_devices.router)
api.add_router("/gateway", monitoring_devices.gateway_router)
api.add_router("/alerts", monitoring_alerts.router)
api.add_router("/location-orders", monitoring_orders.router)
api.add_router("/zones", monitoring_zones.router)
api.add_router("/zone-layers", monitoring_layers.router)
api.add_router("/persons", monitoring_zones.track_router)
api.add_router("/inbox", notifications_api.inbox_router)
api.add_router("/notifications", notifications_api.router)
api.add_router("/checkins", supervision_checkins.router)
api.add_router("/leave-requests", supervision_leave.router)
api.add_router("/sanctions", supervision_sanctions.router)
api.add_router("/followups", supervision_followups.router)
api.add_router("/due-items", supervision_due_items.router)
api.add_router("/reports", reports_api.router)
