"""What a student reads after grading: the feedback page of one graded notebook.

One student's ``1_2_activation_function`` goes through the real pipeline (``course-grade``):
a wrong ``sigmoid``, plots and prints saved in the demo cells, and hostile HTML in a markdown
cell and in an output. The page must name every check as the notebook does, with points and the
message; keep the student's own plots; say that hidden checks decide the grade; speak Japanese;
execute nothing the student wrote; and render its formulas in a browser with the network off.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from autograder import grade
from autograder.notebook_cells import SKIP_TAG, grade_id, is_test_cell

from .grading_support import answer, make_course_root, submit, trainee, with_answer

DAY, NB = "day1", "1_2_activation_function"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-quic", "--disable-extensions"]
WRONG_SIGMOID = "def sigmoid(x):\n    return 1 / (1 + np.exp(x))\n"
HOSTILE_MARKDOWN = ('メモ <script>document.title = "PWNED-script"</script> '
                    '<img src="x" onerror="document.title = \'PWNED-onerror\'"> <a href="javascript:alert(1)">リンク</a>')
HOSTILE_OUTPUT = "<script>document.title = 'PWNED-output'</script>"


def _student_plot() -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0, 1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _submission(plot: str):
    """The answer notebook with a wrong sigmoid, tanh left as handed out, saved outputs in the
    demo cells, hostile HTML."""
    stub = next(c.source for c in trainee(DAY, NB).cells if grade_id(c) == "tanh_answer")
    nb = with_answer(with_answer(answer(DAY, NB), "sigmoid_answer", WRONG_SIGMOID), "tanh_answer", stub)
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(HOSTILE_MARKDOWN))
    demo = [c for c in nb.cells if c.cell_type == "code" and SKIP_TAG in c.metadata.get("tags", [])]
    demo[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="自分で実行した出力 12345\n"),
                       nbformat.v4.new_output("display_data", data={"image/png": plot, "text/plain": "<Figure>"}),
                       nbformat.v4.new_output("display_data", data={"text/html": HOSTILE_OUTPUT,
                                                                     "text/plain": HOSTILE_OUTPUT})]
    return nb


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feedback")
    root = make_course_root(tmp)
    plot = _student_plot()
    submit(tmp / "submissions", "s1", f"{NB}_trainee.ipynb", _submission(plot))
    assert grade.main([DAY, "--submissions", str(tmp / "submissions"), "--root", str(root), "--jobs", "1",
                       "--notebooks", NB]) == 0
    path = root / "feedback" / "s1" / DAY / f"{NB}.html"
    return path, path.read_text(encoding="utf-8"), plot, root


def _check_rows(html: str) -> list[str]:
    table = re.search(r'<table class="course-checks">(.*?)</table>', html, re.S)
    assert table, "no table of checks"
    return re.findall(r"<tr class=\"course-(?:pass|fail)\">(.*?)</tr>", table.group(1), re.S)


def test_the_table_names_every_check_as_the_notebook_does_with_points_and_message(feedback):
    _, html, _, root = feedback
    source = nbformat.read(root / "source" / DAY / f"{NB}.ipynb", as_version=4)
    ids = [grade_id(c) for c in source.cells if is_test_cell(c)]
    rows = _check_rows(html)
    assert len(rows) == len(ids) == 11
    for gid, row in zip(ids, rows):
        assert f'href="#{gid}"' in row and f">{gid}</code>" in row
        assert re.search(r"<td class=\"course-points\">\d+ / \d+</td>", row)
    sigmoid = rows[ids.index("sigmoid")]
    assert "課題 2" in sigmoid and "✘ 不合格" in sigmoid and "0 / 2" in sigmoid
    message = re.search(r'<td class="course-message">(.*?)</td>', sigmoid, re.S).group(1)
    assert message.startswith("sigmoid: 「") and "考えられる原因: 符号が逆です" in message
    assert "✘ 不合格" in rows[ids.index("tanh")] and "まだ解答が書かれていません" in rows[ids.index("tanh")]
    assert "✔ 合格" in rows[ids.index("relu")]
    assert "合計: 10 / 13 点" in html
    assert html.count("Test cell") == 0


def test_the_page_says_that_hidden_checks_decide_the_grade(feedback):
    _, html, _, _ = feedback
    assert "隠しテスト" in html and "自己チェックとは違う入力" in html


def test_nbgraders_english_labels_are_japanese(feedback):
    _, html, _, _ = feedback
    for english in ("Student's answer", "Comments:", "No response.", "Score:", "Grade cell", "(Top)"):
        assert english not in html, english
    assert "あなたの解答" in html and "得点:" in html and "テストセル" in html
    assert "解答が書かれていません（配布されたときのままです）" in html  # nbgrader's "No response."


def test_the_students_own_outputs_and_plots_are_kept(feedback):
    _, html, plot, _ = feedback
    assert "自分で実行した出力 12345" in html
    assert plot[:200] in html
    assert "採点では実行していません" in html


def test_nothing_the_student_wrote_is_executable(feedback):
    _, html, _, _ = feedback
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert len(scripts) == 2 and "PWNED" not in "".join(scripts)  # the MathJax configuration and MathJax
    page = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    for needle in ("<script", "onerror=", 'href="javascript:'):
        assert needle not in page, needle
    assert "メモ &lt;script&gt;document.title" in page  # shown as text, not dropped silently
    assert any(f"&lt;script&gt;document.title = {q}PWNED-output{q}" in page for q in ("'", "&#x27;", "&#39;"))


@pytest.mark.parametrize("width", [1100, 375])
def test_offline_browser_typesets_formulas_and_fetches_nothing(feedback, width):
    from playwright.sync_api import sync_playwright

    path, _, _, _ = feedback
    assert Path(CHROMIUM).exists(), f"Chromium is missing at {CHROMIUM} (scripts/setup-system.sh installs it)"
    requests, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": 900}, offline=True)

            def record(route):
                requests.append(route.request.url)
                if route.request.url.startswith("file://"):
                    route.continue_()
                else:
                    route.abort()

            context.route("**/*", record)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
            page.goto(path.as_uri())
            page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
            page.evaluate("MathJax.startup.promise")
            typeset = page.locator("mjx-container").count()
            broken = page.locator("mjx-merror").count()
            text = page.evaluate("document.body.innerText")
            title = page.title()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        finally:
            browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert errors == []
    assert typeset > 50 and broken == 0
    assert "$$" not in text and "\\frac" not in text and "\\sigma" not in text
    assert "PWNED" not in title
    assert overflow <= 0, f"the page is {overflow}px wider than a {width}px screen"


def test_the_page_is_one_file_that_loads_nothing(feedback):
    path, html, _, _ = feedback
    assert re.search(r"<script\b[^>]*\bsrc=", html) is None
    assert re.search(r"<link\b", html) is None
    page = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert re.search(r"""\bsrc=["']?(https?:|//)""", page) is None
    assert path.stat().st_size < 4 * 1024 * 1024
