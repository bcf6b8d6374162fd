"""Signed-in sessions of the audit page, kept in the store rather than in the cookie.

The browser holds only a random token (HttpOnly, SameSite=Lax); the store holds its
SHA-256 with the account, the session's CSRF token, when it began, when it was last
used and when it expires. A session is valid only while its row exists, so signing out,
a password change, disabling or removing an account ends it at once, whatever cookies
were saved; and a restart of the server ends none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable

from .store import AuditSession, AuditStore, AuditUser

COOKIE = "memo_audit"
LIFETIME = dt.timedelta(hours=12)
"""A session ends this long after sign-in, however busy: a working day."""
IDLE = dt.timedelta(hours=2)
"""A session unused this long ends (a page left open on a shared computer)."""
TOUCH_EVERY = dt.timedelta(minutes=1)
"""``last seen`` is written at most this often, not on every request."""


def new_token() -> str:
    """A random token (256 bits), for a session cookie or a CSRF field."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a session token (a fast hash suffices: the token is random)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Sessions:
    """Start, find and end sessions, on the store and a clock (seconds since the epoch)."""

    def __init__(self, audit: AuditStore, clock: Callable[[], float]) -> None:
        self.audit = audit
        self.clock = clock

    def now(self) -> dt.datetime:
        """The clock's time, in UTC."""
        return dt.datetime.fromtimestamp(self.clock(), dt.timezone.utc)

    def start(self, user: AuditUser) -> str:
        """A new session of ``user``; returns the token for the cookie."""
        now = self.now()
        self.audit.purge_sessions(now, now - IDLE)  # sign-ins are rare: a good time to tidy
        token = new_token()
        self.audit.start_session(user, token_hash(token), new_token(), now, now + LIFETIME)
        return token

    def find(self, token: str | None) -> AuditSession | None:
        """The live session of a cookie's token (``None``: none, ended, expired or idle too long)."""
        if not token:
            return None
        hashed = token_hash(token)
        session = self.audit.session(hashed)
        if session is None:
            return None
        now = self.now()
        if session.user.disabled or now >= session.expires_at or now - session.last_seen >= IDLE:
            self.audit.end_session(hashed)
            return None
        if now - session.last_seen >= TOUCH_EVERY:
            self.audit.touch_session(session.id, now)
        return session

    def end(self, token: str | None) -> None:
        """Sign out the session of a cookie's token (nothing when there is none)."""
        if token:
            self.audit.end_session(token_hash(token))
