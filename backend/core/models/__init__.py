from backend.core.models.audit import AuditEvent
from backend.core.models.jurisdiction import Jurisdiction
from backend.core.models.keys import DataKey, KeyFingerprint, ReencryptCheckpoint
from backend.core.models.sign_in import UnknownSignIn
from backend.core.models.token import ApiToken
from backend.core.models.user import Role, User, UserRole

__all__ = [
    "ApiToken",
    "AuditEvent",
    "DataKey",
    "Jurisdiction",
    "KeyFingerprint",
    "ReencryptCheckpoint",
    "Role",
    "UnknownSignIn",
    "User",
    "UserRole",
]
