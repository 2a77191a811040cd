"""The sign-in backend: Django's ``ModelBackend``, whose per-request user comes with its home jurisdiction.

Every scoped query starts from the user's home (``core.scoping``), so each page read it a query later;
the API's bearer tokens load it the same way (``accounts.user_for_token``).
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from backend.core.models import User


class StaffBackend(ModelBackend):
    def get_user(self, user_id):
        user = User._default_manager.select_related("jurisdiction").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
