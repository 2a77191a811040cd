from __future__ import annotations

from django.db import models


class UnknownSignIn(models.Model):
    """Failed sign-ins under a username no account has, counted and locked exactly like an account's
    (``User.failed_logins`` / ``locked_until``) so that the answers never tell which usernames exist.

    The username is kept only as a keyed hash (the blind-index key), never in clear.
    """

    username_digest = models.CharField(max_length=64, unique=True)
    failed_logins = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"unknown username {self.username_digest[:8]}…"
