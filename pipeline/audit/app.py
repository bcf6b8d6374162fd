"""Routes of the audit page (Starlette + Jinja2), served by ``memo audit`` on localhost.

Security, in one place: every page but the login needs a session, kept in the store
(``sessions``: the cookie holds only a random token, so signing out ends it at once); a rep
sees only their own meetings (403 otherwise, audio and downloads included); audio and memo
files are found from the store by meeting id, never from a path in the URL; every form
carries a CSRF token (the session's; before sign-in, the login cookie's); the cookies are
HttpOnly and SameSite=Lax; pages are served with a Content-Security-Policy that allows only
this site's own scripts and styles.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from argon2 import PasswordHasher
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import FollowupSettings
from ..errors import AuditError, MemoError, StoreError
from ..memo.srt import to_srt
from ..runs.ledger import STEPS, Ledger
from ..runs.store import Store
from ..script import language_tag
from ..types import CATEGORIES
from . import auth, sessions, views
from .redrafting import redraft
from .store import REVIEW_STATES, AuditMeeting, AuditSession, AuditStore, AuditUser, has_control_characters
from .throttle import Throttle, retry_after

HERE = Path(__file__).resolve().parent
LANG_TAGS = {"en": "en", "zh": "zh-Hant"}
MAX_ID = 2**31 - 1
"""Ids are ``sa.Integer`` columns (32-bit on PostgreSQL): a larger id in a URL names nothing, and
is answered 404 before it reaches the database (SQLite raises OverflowError past 64 bits)."""
FILTERS = ("rep", "from", "to", "language", "status", "q", "needs")
LOGIN_COOKIE = "memo_audit_login"
"""Before sign-in, the login form's CSRF token travels in this cookie (double submit)."""
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        b"media-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class _SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_app(
    store: Store,
    *,
    clock: Callable[[], float] = time.time,
    hasher: PasswordHasher | None = None,
    followup: FollowupSettings | None = None,
) -> Starlette:
    """The audit web application over an open run store.

    Args:
        store: the run store (migrated: it holds the audit tables and the sessions).
        clock: seconds since the epoch, for session expiry and sign-in waits (tests pass a fake).
        hasher: checks passwords (default: argon2 with its default parameters).
        followup: when follow-up steps are due (memo.toml ``[followup]``; default: the defaults).
    """
    audit = AuditStore(store)
    ledger = Ledger(store)
    intervals = followup or FollowupSettings()
    live = sessions.Sessions(audit, clock)
    throttle = Throttle(clock)
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.globals.update(categories=CATEGORIES, review_states=REVIEW_STATES, lang_tags=LANG_TAGS)

    def current(request: Request) -> AuditSession | None:
        """The request's live session (looked up once per request)."""
        if not hasattr(request.state, "session"):
            request.state.session = live.find(request.cookies.get(sessions.COOKIE))
        found: AuditSession | None = request.state.session
        return found

    def page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
        session = current(request)
        context.setdefault("user", session.user if session else None)
        login_token = request.cookies.get(LOGIN_COOKIE) or ""
        context["csrf"] = session.csrf if session else (login_token or sessions.new_token())
        response = templates.TemplateResponse(request, name, context, status_code=status_code)
        if session is None and context["csrf"] != login_token:
            response.set_cookie(LOGIN_COOKIE, context["csrf"], httponly=True, samesite="lax")
        return response

    def login_required(request: Request) -> AuditUser:
        session = current(request)
        if session is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise HTTPException(303, headers={"Location": "/login?" + urlencode({"next": target})})
        return session.user

    def visible(request: Request) -> tuple[AuditUser, AuditMeeting]:
        user = login_required(request)
        meeting = audit.meeting(_id(request, "rid", "no such meeting"))
        if meeting is None:
            raise HTTPException(404, "no such meeting")
        if not auth.can_see(user, meeting):
            raise HTTPException(403, "this meeting is not yours to see")
        return user, meeting

    async def checked_form(request: Request) -> FormData:
        """The posted form, once its CSRF token is the session's (before sign-in: the login cookie's)."""
        form = await request.form()
        session = current(request)
        expected = session.csrf if session else request.cookies.get(LOGIN_COOKIE)
        if not auth.csrf_ok(expected, form.get("csrf")):
            raise HTTPException(403, "the form expired or did not come from this site; reload the page")
        return form

    async def editable(request: Request) -> tuple[AuditUser, AuditMeeting, FormData]:
        user, meeting = visible(request)
        form = await checked_form(request)
        if not auth.can_edit(user):
            raise HTTPException(403, "only supervisors can change a meeting")
        return user, meeting, form

    # -- login ---------------------------------------------------------------------------

    async def login(request: Request) -> Response:
        nxt = request.query_params.get("next", "/")
        if not nxt.startswith("/") or nxt.startswith("//"):
            nxt = "/"  # never redirect off this site
        if request.method == "GET":
            return page(request, "login.html", user=None, next=nxt, error="")
        form = await checked_form(request)
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        keys = throttle.keys(name, _address(request))
        wait = throttle.begin(keys)
        if wait:
            return too_many(request, "login.html", wait, next=nxt)
        try:
            # argon2 takes a good part of a second of CPU: a worker thread, so pages stay fast.
            user = await run_in_threadpool(auth.authenticate, audit, name, password, hasher)
        except BaseException:
            throttle.end(keys, ok=True)  # no verdict: release the attempt without counting it
            raise
        wait = throttle.end(keys, ok=user is not None, clear=keys[:1])
        if user is None:
            if wait:
                return too_many(request, "login.html", wait, next=nxt)
            return page(request, "login.html", 401, user=None, next=nxt, error="Wrong name or password.")
        live.end(request.cookies.get(sessions.COOKIE))  # a fresh session (and CSRF token) at each sign-in
        response = RedirectResponse(nxt, 303)
        response.set_cookie(
            sessions.COOKIE,
            live.start(user),
            max_age=int(sessions.LIFETIME.total_seconds()),
            httponly=True,
            samesite="lax",
        )
        return response

    def too_many(request: Request, template: str, wait: float, **context: Any) -> Response:
        """429 on a page with a password form, with the wait in the text and in ``Retry-After``."""
        seconds = retry_after(wait)
        error = f"Too many attempts; try again in {seconds} s."
        response = page(request, template, 429, error=error, **context)
        response.headers["Retry-After"] = str(seconds)
        return response

    async def logout(request: Request) -> Response:
        if current(request) is not None:
            await checked_form(request)
            live.end(request.cookies.get(sessions.COOKIE))
        response = RedirectResponse("/login", 303)
        response.delete_cookie(sessions.COOKIE, httponly=True, samesite="lax")
        return response

    # -- own account ---------------------------------------------------------------------

    async def account(request: Request) -> Response:
        login_required(request)
        return page(request, "account.html", error="", message=views.message(request.query_params.get("msg")))

    async def change_password(request: Request) -> Response:
        user = login_required(request)
        session = current(request)
        assert session is not None
        form = await checked_form(request)
        new = str(form.get("new", ""))
        if new != str(form.get("confirm", "")):
            return page(request, "account.html", 400, error="The new password and its repetition differ.")
        try:
            auth.check_password(new)
        except AuditError as e:
            return page(request, "account.html", 400, error=_sentence(e))
        keys = throttle.keys(user.name, _address(request))
        wait = throttle.begin(keys)
        if wait:
            return too_many(request, "account.html", wait)
        try:
            current_password = str(form.get("current", ""))
            await run_in_threadpool(auth.change_password, audit, session, current_password, new, hasher)
        except AuditError as e:
            wait = throttle.end(keys, ok=False)
            if wait:
                return too_many(request, "account.html", wait)
            return page(request, "account.html", 401, error=_sentence(e))
        except BaseException:
            throttle.end(keys, ok=True)  # no verdict: release the attempt without counting it
            raise
        throttle.end(keys, ok=True, clear=keys[:1])
        return RedirectResponse("/account?msg=password", 303)  # a key of views.MESSAGES

    # -- pages ---------------------------------------------------------------------------

    async def meetings(request: Request) -> Response:
        user = login_required(request)
        q = request.query_params
        f = {k: q.get(k, "").strip() for k in FILTERS}
        reps = audit.reps() if user.role == "supervisor" else [user.rep]
        problem = _filter_problem(f)
        if problem:
            return page(request, "meetings.html", 400, rows=[], f=f, reps=reps, error=problem)
        rep = user.rep if user.role == "rep" else (f["rep"] or None)
        try:
            found = audit.meetings(
                rep=rep,
                language=f["language"] or None,
                date_from=f["from"] or None,
                date_to=f["to"] or None,
                review=f["status"] or None,
                search=f["q"] or None,
            )
        except AuditError as e:
            return page(request, "meetings.html", 400, rows=[], f=f, reps=reps, error=_sentence(e))
        rows = [{"m": m, "reasons": views.review_reasons(m)} for m in found]
        if f["needs"]:
            rows = [r for r in rows if r["reasons"]]
        return page(request, "meetings.html", rows=rows, f=f, reps=reps, error="")

    async def followup_page(request: Request) -> Response:
        """Each distributor's follow-up ledger: a supervisor sees every rep's, a rep only their own."""
        user = login_required(request)
        today = dt.datetime.fromtimestamp(clock(), dt.timezone.utc).date()
        rows = views.ledger_rows(ledger.entries(rep=auth.ledger_rep(user)), intervals, today)
        return page(request, "followup.html", rows=rows, steps=STEPS, today=today.isoformat())

    async def meeting(request: Request) -> Response:
        user, m = visible(request)
        return meeting_page(request, user, m, message=views.message(request.query_params.get("msg")))

    def meeting_page(
        request: Request, user: AuditUser, m: AuditMeeting, status_code: int = 200, **context: Any
    ) -> Response:
        data = audit.transcript_data(m.transcript_id)
        notes = audit.notes_data(m.run_id)
        rows = audit.segment_rows(m.transcript_id)
        context.setdefault("message", "")
        context.setdefault("error", "")
        return page(
            request,
            "meeting.html",
            status_code,
            m=m,
            lang=_lang_tag(m),
            items=views.segment_views(m, data, notes, rows),
            sections=views.memo_sections(notes),
            reasons=views.review_reasons(m),
            history=audit.history(m.recording_id),
            can_edit=auth.can_edit(user),
            no_audio=views.recording(m)[1],
            **context,
        )

    async def audio(request: Request) -> Response:
        _user, m = visible(request)
        path, missing = views.recording(m)
        if path is None:
            raise HTTPException(404, missing)
        return FileResponse(path, filename=path.name, content_disposition_type="inline")

    async def download(request: Request) -> Response:
        _user, m = visible(request)
        kind = request.path_params["kind"]
        if kind not in ("docx", "srt", "json"):
            raise HTTPException(404, "downloads are .docx, .srt and .json")
        stem = Path(m.memo_path).name.removesuffix(".docx").removesuffix(".memo")
        if kind == "docx":
            path = Path(m.memo_path)
            if not path.is_file():
                raise HTTPException(404, "the memo file is no longer where it was written")
            return FileResponse(path, filename=path.name)
        transcript = views.corrected_transcript(
            audit.transcript_data(m.transcript_id), audit.segment_rows(m.transcript_id)
        )
        if kind == "srt":
            body, media = to_srt(transcript), "application/x-subrip"
        else:
            body, media = json.dumps(transcript.to_dict(), ensure_ascii=False, indent=2), "application/json"
        return Response(
            body.encode("utf-8"),
            media_type=f"{media}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_ascii(stem)}.{kind}"'},
        )

    # -- review --------------------------------------------------------------------------

    async def correct(request: Request) -> Response:
        user, m, form = await editable(request)
        category = str(form.get("category", "")) or None
        if category is not None and category not in CATEGORIES:
            raise HTTPException(400, f"category must be one of: {', '.join(CATEGORIES)}")
        text = form.get("text")
        text = " ".join(str(text).split()) if text is not None else None
        if text == "":
            raise HTTPException(400, "a segment's text cannot be empty")
        if text is not None and has_control_characters(text):
            raise HTTPException(400, "a segment's text cannot contain control characters (such as NUL)")
        seg_id = _id(request, "seg", "no such segment in this meeting's transcript")
        try:
            changed = audit.update_segment(m, seg_id, user.name, text=text, category=category)
        except StoreError as e:
            raise HTTPException(404, str(e)) from None
        return _back(m, "saved" if changed else "unchanged", f"seg-{seg_id}")

    async def review(request: Request) -> Response:
        user, m, form = await editable(request)
        status = str(form.get("status", ""))
        if status not in REVIEW_STATES:
            raise HTTPException(400, f"status must be one of: {', '.join(REVIEW_STATES)}")
        audit.set_review(m, status, user.name, str(form.get("comment", "")).strip())
        return _back(m, status)

    async def redraft_memo(request: Request) -> Response:
        user, m, _form = await editable(request)
        try:
            await run_in_threadpool(redraft, audit, m, user.name)
        except MemoError as e:
            # Shown here, not passed on in the URL: the page shows only its own fixed messages.
            return meeting_page(request, user, m, 500, error=f"Re-draft failed: {e}")
        return _back(m, "redrafted")

    async def error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in (301, 302, 303) and exc.headers:
            return Response(status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html", exc.status_code, code=exc.status_code, detail=exc.detail)

    routes = [
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/account", account),
        Route("/account/password", change_password, methods=["POST"]),
        Route("/", meetings),
        Route("/followup", followup_page),
        Route("/meetings/{rid:int}", meeting),
        Route("/meetings/{rid:int}/audio", audio),
        Route("/meetings/{rid:int}/download.{kind:str}", download),
        Route("/meetings/{rid:int}/segments/{seg:int}", correct, methods=["POST"]),
        Route("/meetings/{rid:int}/review", review, methods=["POST"]),
        Route("/meetings/{rid:int}/redraft", redraft_memo, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(
        routes=routes, middleware=[Middleware(_SecurityHeaders)], exception_handlers={HTTPException: error}
    )
    app.state.audit = audit
    return app


def _lang_tag(m: AuditMeeting) -> str:
    return language_tag(m.language, m.script)


def _id(request: Request, name: str, missing: str) -> int:
    """A numeric id of the path; 404 (``missing``) when no row can have it."""
    value = int(request.path_params[name])
    if value > MAX_ID:
        raise HTTPException(404, missing)
    return value


def _filter_problem(f: dict[str, str]) -> str:
    """Why the meeting list's filters cannot be used ("" when they can)."""
    if any(has_control_characters(v) for v in f.values()):
        return "Filters and searches cannot contain control characters (such as NUL)."
    for key in ("from", "to"):
        if f[key] and not _is_date(f[key]):
            return f"The {key!r} date must be YYYY-MM-DD, not {f[key]!r}."
    return ""


def _is_date(text: str) -> bool:
    # Dates are compared as text in the store, so only this one spelling will do.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _sentence(e: Exception) -> str:
    """A one-line error message as a sentence on a page."""
    text = str(e)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name) or "meeting"


def _back(m: AuditMeeting, message_key: str, anchor: str = "") -> Response:
    """Back to the meeting page, with one of ``views.MESSAGES`` (by key, never as text)."""
    url = f"/meetings/{m.recording_id}?" + urlencode({"msg": message_key}) + (f"#{anchor}" if anchor else "")
    return RedirectResponse(url, 303)
