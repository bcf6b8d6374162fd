"""Audit page hardening: sessions in the store, sign-in limits, accounts, 4xx not 500s."""

from __future__ import annotations

import http.client
import re
import socket
import threading
from pathlib import Path
from typing import Literal
from urllib.parse import urlencode

import anyio
import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from click.testing import Result
from starlette.testclient import TestClient
from typer.testing import CliRunner

from pipeline.audit import create_app
from pipeline.audit.sessions import COOKIE
from pipeline.audit.store import AuditStore, audit_sessions
from pipeline.audit.throttle import Throttle
from pipeline.cli.main import app as cli_app
from pipeline.errors import AuditError
from pipeline.runs.store import Store
from tests.test_audit import PASSWORD, csrf_of, login, served

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


# -- sign-in limits --------------------------------------------------------------------------------


def _try(client: TestClient, name: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/login").text)
    form = {"csrf": token, "name": name, "password": password}
    return client.post("/login", data=form, follow_redirects=False)


def test_wrong_passwords_lock_the_account_for_a_growing_wait(world: World) -> None:
    store, _ids = world
    clock = Clock()
    client = client_for(store, clock)
    assert [_try(client, "boss", "wrong").status_code for _ in range(4)] == [401] * 4
    r = _try(client, "boss", "wrong")
    assert r.status_code == 429 and "try again in 30 s" in r.text.lower()
    assert r.headers["retry-after"] == "30"
    r = _try(client, "boss", PASSWORD)  # the right password, right after: refused too
    assert r.status_code == 429 and "try again in 30 s" in r.text.lower()
    clock.now += 29
    assert _try(client, "boss", PASSWORD).status_code == 429
    clock.now += 2
    r = _try(client, "boss", "wrong")  # after the wait, one more miss: a longer wait
    assert r.status_code == 429 and "try again in 60 s" in r.text.lower()
    clock.now += 61
    assert _try(client, "boss", PASSWORD).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200


def test_guesses_at_many_accounts_lock_the_address(world: World) -> None:
    store, _ids = world
    clock = Clock()
    client = client_for(store, clock)
    for k in range(19):  # four misses an account: no account is locked
        assert _try(client, f"user{k // 4}", "wrong").status_code == 401
    assert _try(client, "user5", "wrong").status_code == 429
    assert _try(client, "boss", PASSWORD).status_code == 429  # another account, the same address
    clock.now += 31
    assert _try(client, "boss", PASSWORD).status_code == 303


def test_a_right_password_clears_the_accounts_count(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    for _ in range(2):
        for _miss in range(3):
            assert _try(client, "boss", "wrong").status_code == 401
        assert _try(client, "boss", PASSWORD).status_code == 303
        client.cookies.clear()
    assert _try(client, "alice", PASSWORD).status_code == 303


class SlowHasher(PasswordHasher):
    """argon2, but ``verify`` holds on until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release, self.done = threading.Event(), threading.Event(), threading.Event()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.started.set()
        self.release.wait(5)
        self.done.set()
        return super().verify(hash, password)


def test_a_static_file_is_served_while_a_password_is_checked(world: World) -> None:
    store, _ids = world
    hasher = SlowHasher()
    app = create_app(store, clock=Clock(), hasher=hasher)
    seen: dict[str, object] = {}

    async def main() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            token = csrf_of((await client.get("/login")).text)

            async def sign_in() -> None:
                form = {"csrf": token, "name": "boss", "password": "wrong"}
                seen["login"] = (await client.post("/login", data=form)).status_code

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(sign_in)
                assert await anyio.to_thread.run_sync(hasher.started.wait, 5)
                with anyio.fail_after(4):
                    seen["static"] = (await client.get("/static/audit.css")).status_code
                seen["while_checking"] = not hasher.done.is_set()
                hasher.release.set()

    anyio.run(main)
    assert seen == {"static": 200, "while_checking": True, "login": 401}


def test_guesses_in_flight_count_toward_the_limit() -> None:
    throttle = Throttle(Clock())
    keys = Throttle.keys("boss", "10.0.0.9")
    assert [throttle.begin(keys) for _ in range(5)] == [0.0] * 5  # five checks running at once
    assert throttle.begin(keys) > 0  # a sixth waits for their outcome
    for _ in range(5):
        throttle.end(keys, ok=False)
    assert throttle.begin(keys) == 30.0


# -- accounts ------------------------------------------------------------------------------------


def memo(store: Store, *args: str, password: str = "") -> Result:
    """``memo audit --db STORE ARGS…`` in-process, the password typed at the prompt (twice)."""
    typed = f"{password}\n{password}\n" if password else None
    return CliRunner().invoke(cli_app, ["audit", "--db", store.url, *args], input=typed)


def signed_in(client: TestClient) -> bool:
    return client.get("/", follow_redirects=False).status_code == 200


def test_user_list_shows_every_account_and_its_state(world: World) -> None:
    store, _ids = world
    assert memo(store, "user", "disable", "bob").exit_code == 0
    result = memo(store, "user", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["name", "role", "rep", "name", "state"]
    assert [line.split() for line in lines[1:]] == [
        ["alice", "rep", "Alice", "active"],
        ["bob", "rep", "Bob", "disabled"],
        ["boss", "supervisor", "boss", "active"],
    ]


def test_a_supervisors_reset_sets_the_password_and_ends_the_users_sessions(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    login(client, "alice")
    result = memo(store, "user", "passwd", "alice", password="a new one, long")
    assert result.exit_code == 0, result.output
    assert not signed_in(client)
    assert _try(client, "alice", PASSWORD).status_code == 401
    assert _try(client, "alice", "a new one, long").status_code == 303


def test_disabling_a_user_ends_their_sessions_and_refuses_sign_in(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    login(client, "alice")
    assert memo(store, "user", "disable", "alice").exit_code == 0
    assert not signed_in(client)
    assert _try(client, "alice", PASSWORD).status_code == 401
    assert memo(store, "user", "enable", "alice").exit_code == 0
    assert _try(client, "alice", PASSWORD).status_code == 303


def test_removing_a_user_ends_their_sessions_and_keeps_the_history(world: World) -> None:
    store, ids = world
    supervisor = client_for(store)
    token = login(supervisor, "boss")
    rid = ids["alice_en"]
    supervisor.post(f"/meetings/{rid}/review", data={"csrf": token, "status": "reviewed"})
    assert memo(store, "user", "remove", "boss").exit_code == 0
    assert not signed_in(supervisor)
    assert AuditStore(store).user("boss") is None
    assert [h["user"] for h in AuditStore(store).history(rid)] == ["boss"]
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_sessions)).scalar_one() == 0


def test_user_commands_refuse_an_unknown_name_in_one_line(world: World) -> None:
    store, _ids = world
    for args in (("disable", "nobody"), ("enable", "nobody"), ("remove", "nobody")):
        result = memo(store, "user", *args)
        assert result.exit_code == 1
        assert result.output.strip() == "error: there is no user 'nobody'; `memo audit user list` shows them"
    result = memo(store, "user", "passwd", "nobody", password="long enough")
    assert result.exit_code == 1 and "there is no user 'nobody'" in result.output
    result = memo(store, "user", "passwd", "alice", password="short")
    assert result.exit_code == 1 and "too short" in result.output


def _change(client: TestClient, current: str, new: str, confirm: str | None = None) -> httpx.Response:
    token = csrf_of(client.get("/account").text)
    form = {"csrf": token, "current": current, "new": new, "confirm": new if confirm is None else confirm}
    return client.post("/account/password", data=form, follow_redirects=False)


def test_changing_your_own_password_ends_your_other_sessions(world: World) -> None:
    store, _ids = world
    here, elsewhere = client_for(store), client_for(store)
    login(here, "alice")
    login(elsewhere, "alice")
    r = _change(here, PASSWORD, "a brand new password")
    assert r.status_code == 303 and r.headers["location"] == "/account?msg=password"
    assert "Password changed" in here.get(r.headers["location"]).text
    assert signed_in(here) and not signed_in(elsewhere)
    assert _try(elsewhere, "alice", PASSWORD).status_code == 401
    assert _try(elsewhere, "alice", "a brand new password").status_code == 303


def test_a_password_change_needs_the_current_password_and_a_good_new_one(world: World) -> None:
    store, _ids = world
    client = client_for(store)
    login(client, "alice")
    r = _change(client, "not it", "a brand new password")
    assert r.status_code == 401 and "The current password is wrong." in r.text
    r = _change(client, PASSWORD, "a brand new password", "a brand new passw0rd")
    assert r.status_code == 400 and "differ" in r.text
    r = _change(client, PASSWORD, "short")
    assert r.status_code == 400 and "too short" in r.text
    assert _try(client_for(store), "alice", PASSWORD).status_code == 303  # unchanged
    for _ in range(4):
        _change(client, "not it", "a brand new password")
    r = _change(client, PASSWORD, "a brand new password")  # five misses: locked like a sign-in
    assert r.status_code == 429 and "try again in" in r.text


# -- bad ids and queries: 4xx, never a 500 ---------------------------------------------------------

HUGE = "99999999999999999999999"


def test_bad_ids_and_queries_are_4xx_on_a_kept_alive_connection(world: World) -> None:
    store, ids = world
    app = create_app(store)
    client = TestClient(app, base_url=BASE)
    token = login(client, "boss")  # sessions are in the store: the cookie works on the real server too
    cookie = f"{COOKIE}={client.cookies[COOKIE]}"
    rid = ids["alice_en"]
    form = {"csrf": token, "category": "market"}
    requests = [
        ("GET", f"/meetings/{HUGE}", None, 404, "no such meeting"),
        ("GET", f"/meetings/{HUGE}/audio", None, 404, "no such meeting"),
        ("GET", f"/meetings/{HUGE}/download.srt", None, 404, "no such meeting"),
        ("POST", f"/meetings/{rid}/segments/999", form, 404, "segment 999 is not in this meeting"),
        ("POST", f"/meetings/{rid}/segments/{HUGE}", form, 404, "no such segment"),
        ("GET", "/?q=%00", None, 400, "control characters"),
        ("GET", "/?q=a%00b%00c", None, 400, "control characters"),
        ("GET", "/?from=yesterday", None, 400, "YYYY-MM-DD"),
        ("GET", "/", None, 200, "3 meetings"),
    ]
    with served(app) as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
        first_socket = None
        for method, path, data, status, text in requests:
            headers = {"Cookie": cookie}
            body = urlencode(data) if data else None
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body=body, headers=headers)
            r = conn.getresponse()
            page = r.read().decode()
            assert (r.status, text in page) == (status, True), (method, path, page[-400:])
            assert not r.will_close, path
            first_socket = first_socket or conn.sock
            assert conn.sock is first_socket, f"{path} dropped the connection"
        conn.close()
    assert review_status(store, rid) == "unreviewed"


def test_a_nul_in_a_search_matches_nothing_and_says_why(world: World) -> None:
    store, _ids = world
    with pytest.raises(AuditError, match="control characters"):
        AuditStore(store).meetings(search="\x00")
    client = client_for(store)
    login(client, "boss")
    r = client.get("/?q=%00")
    assert r.status_code == 400 and 'class="open"' not in r.text
    assert "Filters and searches cannot contain control characters" in r.text


def test_a_correction_with_a_nul_is_refused(world: World) -> None:
    store, ids = world
    client = client_for(store)
    token = login(client, "boss")
    r = client.post(f"/meetings/{ids['alice_en']}/segments/1", data={"csrf": token, "text": "a\x00b"})
    assert r.status_code == 400 and "control characters" in r.text


# -- memo audit on a busy port -----------------------------------------------------------------


def test_memo_audit_on_a_busy_port_is_a_one_line_error(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(cli_app, ["audit", "--db", db, "--port", str(port)])
    assert result.exit_code == 1
    assert result.output == f"error: port {port} is in use; pass --port N\n"  # and no address printed


def test_memo_audit_binds_before_it_prints_the_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipeline.audit import serving

    served_on: list[int] = []

    def fake_serve(_app: object, sock: socket.socket) -> None:
        served_on.append(sock.getsockname()[1])
        sock.close()

    monkeypatch.setattr(serving, "serve", fake_serve)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    db = f"sqlite:///{tmp_path / 's.sqlite'}"
    result = CliRunner().invoke(cli_app, ["audit", "--db", db, "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"audit page: http://127.0.0.1:{port}/")
    assert served_on == [port]
