from __future__ import annotations

from django.db import models
from django.db.models import Q

from backend.core.scoping import ScopedQuerySet, jurisdiction_subtree_q


class ApiTokenQuerySet(ScopedQuerySet):
    def scope_q(self, user) -> Q:
        # Your own tokens; an admin also sees the tokens of users in their subtree.
        own = Q(user=user)
        return (own | jurisdiction_subtree_q(user, "user__jurisdiction")) if user.is_admin else own


class ApiToken(models.Model):
    """A personal API token (个人访问令牌): random, shown once, stored as SHA-256, expiring, revocable.

    The token reads ``ab_<prefix>_<secret>``; ``prefix`` finds the row, the digest of the whole token
    proves it.  A plain hash is enough because the token carries 256 random bits (nothing to brute-force).
    """

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("用途", max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} (ab_{self.prefix}_…)"
