"""Audit page in a real browser: the system's headless Chromium driven by Playwright.

Walks log in → list → filter → open a meeting → click a segment (the audio moves) →
correct a category → approve → re-draft (the memo shows the change); a rep is refused
another rep's meeting and its audio; a ``<script>`` in a transcript shows as text.
Screenshots of both pages are saved to ``$AUDIT_SCREENSHOTS`` (default: the test's tmp dir).

Skipped, with the reason, where Chromium or Playwright is missing (``make browser`` installs
Chromium as root).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline.audit import create_app
from tests.test_audit import PASSWORD, SCRIPT, WARRANTY, build_store, served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]  # fmt: skip

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
if not Path(CHROMIUM).is_file():
    pytest.skip("chromium is not installed; run `make browser` as root", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    """The audit app on 127.0.0.1 and a free port, in a thread."""
    store, ids = build_store(tmp_path_factory.mktemp("audit-browser"))
    with served(create_app(store)) as base:
        yield base, ids
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("AUDIT_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _login(browser: Any, base: str, name: str) -> Any:
    page = browser.new_page(viewport={"width": 1366, "height": 860})
    page.set_default_timeout(15_000)
    page.goto(base + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/")
    return page


def test_supervisor_walks_list_filter_meeting_correct_approve_redraft(
    server: tuple[str, dict[str, int]], browser: Any, shots: Path
) -> None:
    base, ids = server
    page = _login(browser, base, "boss")
    assert page.locator("table.meetings tbody tr").count() == 3
    page.screenshot(path=str(shots / "audit-list.png"), full_page=True)

    page.select_option("select[name=rep]", "Alice")
    page.select_option("select[name=language]", "en")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**language=en**")
    rows = page.locator("table.meetings tbody tr")
    assert rows.count() == 1 and "Prairie Line" in rows.inner_text()

    page.click("table.meetings a.open")
    page.wait_for_url(f"{base}/meetings/{ids['alice_en']}")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    page.click("#seg-4 p.text")
    page.wait_for_function("Math.abs(document.getElementById('player').currentTime - 40) < 1.5")
    assert "target" in (page.get_attribute("#seg-4", "class") or "")
    page.screenshot(path=str(shots / "audit-meeting.png"), full_page=False)

    # The rules put the warranty under concerns; the supervisor moves it to product.
    seg = page.locator(f"#seg-{WARRANTY}")
    assert seg.locator(".cat").inner_text() == "concerns"
    seg.locator("summary").click()
    seg.locator("select[name=category]").select_option("product")
    seg.locator("button[type=submit]").click()
    page.wait_for_selector("p.message")
    assert page.locator(f"#seg-{WARRANTY} .cat").inner_text() == "product"

    page.select_option(".review select[name=status]", "approved")
    page.fill(".review textarea[name=comment]", "Warranty is a product point.")
    page.click(".review form >> nth=0 >> button[type=submit]")
    page.wait_for_selector("#review-state.state-approved")

    page.click("text=Re-draft memo from corrected transcript")
    page.wait_for_selector("p.message:has-text('re-drafted')")
    product = page.locator(".memo ul:below(h3.sec-product)").first.inner_text()
    assert "warranty" in product
    assert "warranty" not in page.locator(".memo ul:below(h3.sec-concerns)").first.inner_text()
    history = page.locator(".history").inner_text()
    assert "boss category" in history and "concerns → product" in history and "approved" in history
    page.screenshot(path=str(shots / "audit-meeting-after.png"), full_page=True)
    page.close()


def test_rep_is_refused_another_reps_meeting_and_audio(
    server: tuple[str, dict[str, int]], browser: Any, shots: Path
) -> None:
    base, ids = server
    page = _login(browser, base, "alice")
    assert page.locator("table.meetings tbody tr").count() == 2
    page.goto(f"{base}/meetings/{ids['alice_zh']}")
    assert "高雄有兩個倉庫" in page.locator("#seg-1 p.text").inner_text()
    assert page.locator("details.edit").count() == 0  # a rep reads, a supervisor corrects
    page.screenshot(path=str(shots / "audit-meeting-zh.png"))
    response = page.goto(f"{base}/meetings/{ids['bob']}")
    assert response is not None and response.status == 403
    assert "Not allowed" in page.inner_text("h1")
    status = page.evaluate(f"fetch('/meetings/{ids['bob']}/audio').then(r => r.status)")
    assert status == 403
    response = page.goto(f"{base}/meetings/{ids['alice_en']}/audio")
    assert response is not None and response.status == 200
    page.close()


def test_script_in_a_transcript_renders_as_text(
    server: tuple[str, dict[str, int]], browser: Any, shots: Path
) -> None:
    base, ids = server
    page = _login(browser, base, "boss")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{base}/meetings/{ids['bob']}")
    page.wait_for_load_state("load")
    assert page.title() != "pwned" and not dialogs
    assert page.locator("#seg-2 p.text").inner_text() == SCRIPT
    assert page.locator("#seg-2 img, #seg-2 script").count() == 0
    page.close()


def test_the_banner_ignores_text_in_the_address(
    server: tuple[str, dict[str, int]], browser: Any, shots: Path
) -> None:
    base, ids = server
    page = _login(browser, base, "alice")
    page.goto(f"{base}/meetings/{ids['alice_en']}?msg=Call+555-0100+to+unlock+your+account")
    assert page.locator("p.message").count() == 0
    assert "555-0100" not in page.inner_text("body")
    page.close()


def test_signing_out_ends_the_session_for_a_copy_of_its_cookies(
    server: tuple[str, dict[str, int]], browser: Any, shots: Path
) -> None:
    base, _ids = server
    page = _login(browser, base, "bob")
    saved = page.context.cookies()
    page.click("header button:has-text('Sign out')")
    page.wait_for_url("**/login")
    page.close()
    other = browser.new_context()  # another browser, holding the cookies copied before signing out
    other.add_cookies(saved)
    replay = other.new_page()
    replay.goto(base + "/")
    assert "/login" in replay.url and replay.locator("table.meetings").count() == 0
    other.close()
