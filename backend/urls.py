from __future__ import annotations

from django.urls import include, path, re_path

from backend.api import api
from backend.console.views.dashboard import dashboard_page
from backend.core import views
from backend.core.middleware import json_404
from notifications.views import acknowledge_page

urlpatterns = [
    path("api/v1/", api.urls),
    re_path(r"^api/", json_404),
    path("ack/", acknowledge_page, name="acknowledge"),
    path("login/", views.sign_in_page, name="login"),
    path("logout/", views.sign_out_page, name="logout"),
    path("console/", include("backend.console.urls")),
    path("", dashboard_page, name="home"),  # the staff console's dashboard
]
