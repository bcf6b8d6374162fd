"""Accounts of the audit page: argon2 password hashes, roles, and CSRF tokens.

Roles: a ``supervisor`` sees and corrects every meeting; a ``rep`` sees only the
meetings whose memo carries their rep name, and cannot change them.
"""

from __future__ import annotations

import hmac

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import AuditError
from .store import AuditMeeting, AuditSession, AuditStore, AuditUser

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
    check_password(password)
    return audit.add_user(name.strip(), role, rep.strip() or name.strip(), hash_password(password))


def check_password(password: str) -> None:
    """Raise ``AuditError`` when a new password is too short."""
    if len(password) < MIN_PASSWORD:
        raise AuditError(f"the password is too short; use at least {MIN_PASSWORD} characters")


def set_password(audit: AuditStore, name: str, password: str, *, keep_session: int | None = None) -> None:
    """Give an account a new password; every session of it ends (but ``keep_session``).

    Raises:
        AuditError: no such user, or the password is too short.
    """
    check_password(password)
    audit.set_password_hash(name, hash_password(password), keep_session=keep_session)


def change_password(
    audit: AuditStore, session: AuditSession, current: str, new: str, hasher: PasswordHasher | None = None
) -> None:
    """A signed-in user's own change: the current password first; their other sessions end.

    Slow on purpose (argon2, twice): the web page calls it in a worker thread.

    Raises:
        AuditError: the current password is wrong, or the new one too short.
    """
    try:
        (hasher or _hasher).verify(session.user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise AuditError("the current password is wrong") from None
    set_password(audit, session.user.name, new, keep_session=session.id)


def disable_user(audit: AuditStore, name: str) -> None:
    """Refuse an account's sign-in from now on; its sessions end at once (``AuditError``: no such user)."""
    audit.set_disabled(name, True)


def enable_user(audit: AuditStore, name: str) -> None:
    """Let a disabled account sign in again (``AuditError``: no such user)."""
    audit.set_disabled(name, False)


def remove_user(audit: AuditStore, name: str) -> None:
    """Delete an account; its sessions end at once (``AuditError``: no such user)."""
    audit.remove_user(name)


def authenticate(
    audit: AuditStore, name: str, password: str, hasher: PasswordHasher | None = None
) -> AuditUser | None:
    """The account if ``password`` is right and the account not disabled, else ``None``.

    Slow on purpose (argon2): the web page calls it in a worker thread, never on the event loop.
    """
    user = audit.user(name)
    try:
        (hasher or _hasher).verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return user if user is not None and not user.disabled else None


def can_see(user: AuditUser, meeting: AuditMeeting) -> bool:
    """Supervisors see every meeting; a rep only their own."""
    return user.role == "supervisor" or meeting.rep == user.rep


def can_edit(user: AuditUser) -> bool:
    """Only supervisors correct, sign off and re-draft."""
    return user.role == "supervisor"


def csrf_ok(expected: str | None, sent: object) -> bool:
    """True when ``sent`` is the expected CSRF token (compared in constant time)."""
    return bool(expected) and isinstance(sent, str) and hmac.compare_digest(str(expected), sent)


def ledger_rep(user: AuditUser) -> str | None:
    """Whose follow-up ledger ``user`` sees: ``None`` (every rep's) for a supervisor, else their own."""
    return None if user.role == "supervisor" else user.rep
