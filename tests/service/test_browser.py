"""Playwright driving headless Chromium (Debian's /usr/bin/chromium) through the real service with
the real scorer: a student logs in, uploads a zip, waits for the result, reads it on the page
and on the leaderboard; the instructor logs in and closes the competition. Screenshots are
kept under test-artifacts/service/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from capstone_service.admin import add_user, set_password

from .support import ARTIFACTS, Stack, real_zip, wait_for
from .test_flow import runtime_of

CHROMIUM = os.environ.get("COURSE_SERVICE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def browser():
    from playwright import sync_api  # installed by the project's set-up; missing → the test fails

    assert Path(CHROMIUM).exists(), f"Chromium not found at {CHROMIUM}: scripts/setup-system.sh installs it"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_student_submits_and_the_instructor_closes(browser, tmp_path):
    stack = Stack(tmp_path / "service", {}).start(workers=1)
    runtime = runtime_of(stack)
    try:
        add_user(runtime, "teacher", "講師 花子", "teacher@example.com", role="instructor")
        set_password(runtime, "teacher", "teacher-password-1")
        add_user(runtime, "b001", "文字 読子", "b001@example.com", role="student")
        set_password(runtime, "b001", "student-password-1")
        zip_path = tmp_path / "katakana_submission.zip"
        zip_path.write_bytes(real_zip())

        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="ja-JP")
        page = context.new_page()
        page.goto(stack.url + "/login")
        assert page.evaluate("document.characterSet") == "UTF-8"
        assert page.evaluate("document.documentElement.lang") == "ja"
        page.fill("input[name=student_id]", "b001")
        page.fill("input[name=password]", "student-password-1")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/dashboard.*"))
        assert page.locator("#remaining").inner_text() == "3"
        shot(page, "1_dashboard")

        page.set_input_files("input[type=file]", str(zip_path))
        page.click("form[action='/submissions'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/submissions/\d+.*"))
        assert "提出を受け付けました" in page.content()
        assert page.locator("#queue-position").count() == 1 or page.locator("#public-accuracy").count() == 1
        # the page refreshes itself (no JavaScript) until the result is there
        page.wait_for_selector("#public-accuracy", timeout=90_000)
        accuracy = page.locator("#public-accuracy").inner_text()
        assert re.fullmatch(r"\d+\.\d\d %", accuracy) and 80 < float(accuracy[:-2]) < 100
        # the pictures appear once the worker has drawn them (the page refreshes until then); waits use
        # Playwright's selectors and page.evaluate polled from here, never wait_for_function with a string
        # predicate, which the page's CSP (script-src 'none') refuses
        page.wait_for_selector("img[src$='misclassified.png']", timeout=60_000)
        wait_for(lambda: page.evaluate("[...document.images].length == 3 && [...document.images].every(i => i.complete)"),
                 30, what="the three pictures to load")
        for kind in ("confusion", "per_class", "misclassified"):
            assert page.evaluate(f"document.querySelector(\"img[src$='{kind}.png']\").naturalWidth") > 300
        assert page.evaluate("document.fonts.check('16px \"Noto Sans CJK JP\"')")
        assert "提出を受け付けました" not in page.content()  # the notice belongs to the waiting page
        shot(page, "2_result")

        page.click("text=ランキング")
        row = page.locator("#public tbody tr").first
        assert "文字 読子" in row.inner_text() and accuracy in row.inner_text()
        shot(page, "3_leaderboard")
        page.click("header button:has-text('ログアウト')")
        page.wait_for_url(re.compile(r".*/login.*"))

        page.fill("input[name=student_id]", "teacher")
        page.fill("input[name=password]", "teacher-password-1")
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_url(re.compile(r".*/instructor.*"))
        shot(page, "4_instructor")
        page.check("input[name=confirm]")
        page.click("text=コンペティションを締め切る")
        page.wait_for_url(re.compile(r".*/leaderboard.*"))
        final = page.locator("#final tbody tr").first.inner_text()
        assert "文字 読子" in final and final.startswith("1")
        assert "コンペティションを締め切りました" in page.content()
        shot(page, "5_final_ranking")
        context.close()
    finally:
        stack.close()
        runtime.db.dispose()
