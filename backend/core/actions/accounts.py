"""Signing in and out, lockout, and personal API tokens.  Every state change writes its audit row."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from backend.core.audit import record_audit
from backend.core.audit_actions import AuditAction
from backend.core.crypto.blind_index import blind_index
from backend.core.errors import Invalid, Locked, Unauthenticated
from backend.core.models import ApiToken, UnknownSignIn, User

TOKEN_PREFIX = "ab_"  # noqa: S105 (a prefix, not a secret)


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


def sign_in(request: HttpRequest, *, username: str, password: str) -> User:
    """Check the password; five failures in a row lock the account for fifteen minutes (configurable).

    The lock is per account, and a wrong password on a locked account does not extend it — so a stranger
    can delay an officer by at most LOGIN_LOCKOUT_MINUTES at a time, never lock them out for good.
    A username no account has is counted and locked the same way (``UnknownSignIn``), and its password
    is hashed like a real one (Django's backend does), so no answer tells which usernames exist.
    """
    now = timezone.now()
    account = User.objects.filter(username=username).first() or _unknown_account(username)
    if account.locked_until and account.locked_until > now:
        _audit_attempt(account, AuditAction.AUTH_LOGIN_REFUSED_LOCKED)
        raise Locked(
            f"账户已锁定，请于 {_local(account.locked_until)} 后重试",
            {"locked_until": account.locked_until.isoformat()},
        )
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        return _count_failure(account, now)
    User.objects.filter(pk=authenticated.pk).update(failed_logins=0, locked_until=None)
    login(request, authenticated)
    record_audit(actor=authenticated, action=AuditAction.AUTH_LOGIN, target=authenticated)
    return authenticated


def _unknown_account(username: str) -> UnknownSignIn:
    digest = blind_index("username", username, normalizer="text")
    return UnknownSignIn.objects.filter(username_digest=digest).first() or UnknownSignIn(
        username_digest=digest
    )


def _audit_attempt(account: User | UnknownSignIn, action: AuditAction, **details: int) -> None:
    if isinstance(account, User):
        record_audit(actor=None, action=action, target=account, details=details or None)
    else:  # no target and no name: only that it was a username without an account
        record_audit(actor=None, action=action, details={"reason": "unknown_user", **details})


def _count_failure(account: User | UnknownSignIn, now: dt.datetime) -> User:
    model = type(account)
    with transaction.atomic():
        if account.pk is None:
            account, _ = UnknownSignIn.objects.get_or_create(username_digest=account.username_digest)
        model.objects.filter(pk=account.pk).update(failed_logins=F("failed_logins") + 1)
        account.refresh_from_db(fields=["failed_logins"])
        if account.failed_logins >= settings.LOGIN_MAX_FAILURES:
            until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
            model.objects.filter(pk=account.pk).update(failed_logins=0, locked_until=until)
            _audit_attempt(account, AuditAction.AUTH_LOCKED, minutes=settings.LOGIN_LOCKOUT_MINUTES)
            locked = True
        else:
            _audit_attempt(account, AuditAction.AUTH_LOGIN_FAILED, failures=account.failed_logins)
            locked = False
    if locked:
        raise Locked(
            f"连续 {settings.LOGIN_MAX_FAILURES} 次密码错误，账户已锁定 {settings.LOGIN_LOCKOUT_MINUTES} 分钟",
            {"locked_until": until.isoformat()},
        )
    left = settings.LOGIN_MAX_FAILURES - account.failed_logins
    raise Unauthenticated("用户名或密码错误", {"attempts_left": left})


def forget_idle_unknown_sign_ins(now: dt.datetime) -> int:
    """Delete ``UnknownSignIn`` rows that say nothing any more: no failure counted and no lock in force.

    Such a row answers exactly as no row does, so forgetting it cannot tell an unknown username from a
    real one; rows still counting failures stay, as an account's counter does.  Run nightly.
    """
    idle = UnknownSignIn.objects.filter(failed_logins=0).exclude(locked_until__gt=now)
    return idle.delete()[0]


def sign_out(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        record_audit(actor=request.user, action=AuditAction.AUTH_LOGOUT, target=request.user)
    logout(request)


def expire_session(request: HttpRequest) -> None:
    record_audit(actor=request.user, action=AuditAction.AUTH_SESSION_EXPIRED, target=request.user)
    logout(request)


def unlock_user(*, user: User, by: User) -> User:
    updated = User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
    if updated:
        record_audit(actor=by, action=AuditAction.USER_UNLOCK, target=user)
    user.refresh_from_db()
    return user


# --- API tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(*, user: User, name: str, days: int | None = None, by: User | None = None) -> IssuedToken:
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise Invalid(f"有效期应在 1 到 {settings.API_TOKEN_MAX_DAYS} 天之间", {"days": days})
    prefix = secrets.token_hex(6)
    plaintext = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=prefix,
            digest=token_digest(plaintext),
            expires_at=timezone.now() + dt.timedelta(days=days),
        )
        record_audit(
            actor=by or user,
            action=AuditAction.TOKEN_CREATE,
            target=token,
            details={"user": user.pk, "days": days},
        )
    return IssuedToken(token=token, plaintext=plaintext)


def revoke_token(*, token: ApiToken, by: User) -> ApiToken:
    """Revoke a token; revoking twice is a no-op."""
    updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated:
        record_audit(actor=by, action=AuditAction.TOKEN_REVOKE, target=token, details={"user": token.user_id})
    token.refresh_from_db()
    return token


# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
_LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def user_for_token(plaintext: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, wrong, expired, revoked)."""
    if not plaintext.startswith(TOKEN_PREFIX):
        return None
    prefix, _, secret = plaintext[len(TOKEN_PREFIX) :].partition("_")
    if not secret:
        return None
    token = ApiToken.objects.select_related("user", "user__jurisdiction").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.digest, token_digest(plaintext)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now or not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > _LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
