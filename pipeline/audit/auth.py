"""Accounts of the audit page: argon2 password hashes, roles, and CSRF tokens.

Roles: a ``supervisor`` sees and corrects every meeting; a ``rep`` sees only the
meetings whose memo carries their rep name, and cannot change them.
"""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import AuditError
from .store import AuditMeeting, AuditStore, AuditUser

ROLES = ("supervisor", "rep")
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# Verified when a name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters in the hash)."""
    return _hasher.hash(password)


def add_user(audit: AuditStore, name: str, role: str, password: str, rep: str = "") -> AuditUser:
    """Create an account.

    Args:
        audit: the store.
        name: the login name.
        role: ``supervisor`` or ``rep``.
        password: at least ``MIN_PASSWORD`` characters.
        rep: the rep name their memos carry (default: ``name``).

    Raises:
        AuditError: a bad role or a short password.
        StoreError: the name is taken.
    """
    if role not in ROLES:
        raise AuditError(f"role {role!r} is not known; expected one of: {', '.join(ROLES)}")
    if not name.strip():
        raise AuditError("a user needs a name")
    if len(password) < MIN_PASSWORD:
        raise AuditError(f"the password is too short; use at least {MIN_PASSWORD} characters")
    return audit.add_user(name.strip(), role, rep.strip() or name.strip(), hash_password(password))


def authenticate(
    audit: AuditStore, name: str, password: str, hasher: PasswordHasher | None = None
) -> AuditUser | None:
    """The account if ``password`` is right, else ``None``.

    Slow on purpose (argon2): the web page calls it in a worker thread, never on the event loop.
    """
    user = audit.user(name)
    try:
        (hasher or _hasher).verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def can_see(user: AuditUser, meeting: AuditMeeting) -> bool:
    """Supervisors see every meeting; a rep only their own."""
    return user.role == "supervisor" or meeting.rep == user.rep


def can_edit(user: AuditUser) -> bool:
    """Only supervisors correct, sign off and re-draft."""
    return user.role == "supervisor"


def csrf_ok(expected: str | None, sent: object) -> bool:
    """True when ``sent`` is the expected CSRF token (compared in constant time)."""
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(str(expected), sent)
