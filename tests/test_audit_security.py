"""Audit page hardening: sessions in the store, sign-in limits, accounts, 4xx not 500s."""

from __future__ import annotations

import re

import sqlalchemy as sa
from starlette.testclient import TestClient

from pipeline.audit import create_app
from pipeline.audit.sessions import COOKIE
from pipeline.audit.store import AuditStore, audit_sessions
from pipeline.runs.store import Store
from tests.test_audit import PASSWORD, csrf_of, login

World = tuple[Store, dict[str, int]]
BASE = "http://127.0.0.1"


class Clock:
    """A clock the test moves: seconds since the epoch."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def client_for(store: Store, clock: Clock | None = None, **kwargs: object) -> TestClient:
    app = create_app(store, clock=clock or Clock(), **kwargs)  # type: ignore[arg-type]
    return TestClient(app, base_url=BASE)


def replay(client: TestClient, cookies: dict[str, str]) -> TestClient:
    """Another browser holding copies of the cookies saved earlier."""
    return TestClient(client.app, base_url=BASE, cookies=cookies)


def review_status(store: Store, rid: int) -> str:
    m = AuditStore(store).meeting(rid)
    assert m is not None
    return m.review


# -- sessions -------------------------------------------------------------------------------------


def test_signing_out_ends_the_session_for_saved_cookies_too(world: World) -> None:
    store, ids = world
    client = client_for(store)
    token = login(client, "boss")
    saved = dict(client.cookies)
    assert client.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303

    thief = replay(client, saved)
    r = thief.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    rid = ids["alice_en"]
    form = {"csrf": token, "status": "approved"}
    r = thief.post(f"/meetings/{rid}/review", data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert review_status(store, rid) == "unreviewed"


def test_a_session_outlives_a_restart_while_its_row_exists(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    login(client, "boss")
    restarted = client_for(store)  # a new app: nothing kept in memory
    assert replay(restarted, dict(client.cookies)).get("/", follow_redirects=False).status_code == 200
    with store.engine.begin() as conn:
        conn.execute(sa.delete(audit_sessions))
    assert replay(restarted, dict(client.cookies)).get("/", follow_redirects=False).status_code == 303


def test_a_session_ends_when_idle_and_at_its_lifetime(world: World) -> None:
    store, _ids = world
    clock = Clock()
    client = client_for(store, clock)
    login(client, "boss")
    clock.now += 119 * 60  # under two hours idle
    assert client.get("/", follow_redirects=False).status_code == 200
    clock.now += 121 * 60  # over two hours idle
    assert client.get("/", follow_redirects=False).status_code == 303

    login(client, "boss")
    for _hour in range(11):  # busy all day: every hour
        clock.now += 3600
        assert client.get("/", follow_redirects=False).status_code == 200
    clock.now += 3600  # twelve hours after sign-in
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_store_keeps_a_hash_of_the_token_not_the_token(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    login(client, "boss")
    token = client.cookies[COOKIE]
    with store.engine.connect() as conn:
        rows = [tuple(map(str, r)) for r in conn.execute(sa.select(audit_sessions))]
    assert len(rows) == 1 and not any(token in cell for cell in rows[0])


def test_the_session_cookie_is_httponly_samesite_and_fresh_at_each_sign_in(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    token = csrf_of(client.get("/login").text)
    form = {"csrf": token, "name": "boss", "password": PASSWORD}
    r = client.post("/login", data=form, follow_redirects=False)
    cookie = r.headers["set-cookie"].lower()
    assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie and "samesite=lax" in cookie
    first = client.cookies[COOKIE]
    login(client, "boss")
    assert client.cookies[COOKIE] != first
    assert replay(client, {COOKIE: first}).get("/", follow_redirects=False).status_code == 303


def test_the_login_form_token_must_match_its_cookie(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    csrf_of(client.get("/login").text)
    other = client_for(store)
    foreign = csrf_of(other.get("/login").text)  # a token from another browser
    r = client.post("/login", data={"csrf": foreign, "name": "boss", "password": PASSWORD})
    assert r.status_code == 403
    assert re.search("reload the page", r.text)


def test_csrf_of_a_signed_in_page_is_the_sessions(world: World) -> None:
    store, ids = world
    client = client_for(store)
    token = login(client, "boss")
    other = client_for(store)
    other_token = login(other, "boss")
    assert token != other_token
    rid = ids["alice_en"]
    r = client.post(f"/meetings/{rid}/review", data={"csrf": other_token, "status": "approved"})
    assert r.status_code == 403
