"""The short texts around grading: rename advice, the one-line reasons of the instructor's summary
and of the feedback table, and the sanitizer of rendered markdown."""

from __future__ import annotations

import pytest

from autograder.grade import notebooks_of_other_days
from autograder.intake import suggest_name
from autograder.nbgrader_bridge import check_titles, clean_html, message_headline, reason_line
from autograder.notebook_cells import read_notebook

from .grading_support import REPO

DAY1 = {"1_1_perceptron", "1_2_activation_function", "1_4_softmax", "1_5_linear_regression", "1_7_predict",
        "1_8_batch", "1_9_loss_function"}
OTHER_DAYS = notebooks_of_other_days(REPO, "day1")

ARRAY_MESSAGE = """softmax: 「2 次元（バッチ）」で不合格です。
  入力: x = [[0.3, 2.9, 4. ],
 [0.1, 0.2, 0.3]]  (shape=(2, 3), dtype=float64)
  値が違います。
    期待: [[0.018211, 0.245192, 0.736597],
 [0.300832, 0.332475, 0.366693]]  (shape=(2, 3), dtype=float64)
    実際: [[0.006, 0.08, 0.24],
 [0.2, 0.2, 0.24]]  (shape=(2, 3), dtype=float64)
"""


def test_another_days_notebook_is_sent_to_its_days_grading():
    assert OTHER_DAYS["2_5_backprop_layers"] == "day2"
    for name in ("2_5_backprop_layers_trainee.ipynb", "2_5_backprop_layers.ipynb"):
        advice = suggest_name(name, DAY1, OTHER_DAYS)
        assert "day2 の採点で採点されます" in advice
        assert "1_8_batch" not in advice


def test_a_misspelled_name_of_this_day_gets_the_right_name():
    advice = suggest_name("1_2_activation_functon_trainee.ipynb", DAY1, OTHER_DAYS)
    assert "1_2_activation_function_trainee.ipynb に名前を変えて" in advice
    assert "1_4_softmax_trainee.ipynb に名前を変えて" in suggest_name("1_4_softmax_trainee (1).ipynb", DAY1, OTHER_DAYS)


@pytest.mark.parametrize("name", ["homework.ipynb", "2_9_something_else.ipynb", "report_final_v3.ipynb"])
def test_a_name_close_to_nothing_gets_no_guess(name):
    advice = suggest_name(name, DAY1, OTHER_DAYS)
    assert "名前を変えて" not in advice and "配布されたファイル名" in advice


def test_the_summary_reason_is_the_hint_or_the_first_line_never_an_array_row():
    assert reason_line(ARRAY_MESSAGE) == "softmax: 「2 次元（バッチ）」で不合格です。 値が違います。"
    hinted = ARRAY_MESSAGE + "  考えられる原因: 合計を配列全体でとっています（axis を指定してください）。\n"
    assert reason_line(hinted) == "合計を配列全体でとっています（axis を指定してください）。"
    assert reason_line("Relu が定義されていません。") == "Relu が定義されていません。"


def test_the_feedback_table_says_which_case_failed_and_why():
    hinted = ARRAY_MESSAGE + "  考えられる原因: 合計を配列全体でとっています。\n"
    assert message_headline(hinted) == "softmax: 「2 次元（バッチ）」で不合格です。\n考えられる原因: 合計を配列全体でとっています。"
    assert message_headline(ARRAY_MESSAGE) == "softmax: 「2 次元（バッチ）」で不合格です。\n値が違います。"


def test_checks_are_named_by_the_heading_above_them():
    titles = check_titles(read_notebook(REPO / "source" / "day2" / "2_5_backprop_layers.ipynb"))
    assert titles["mul_forward"] == "テスト 1-1: `MulLayer.forward`"
    assert titles["sigmoid_stable"].startswith("テスト 4-3")


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>", '<img src="x" onerror="alert(1)">', '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://example.com"></iframe>', '<img src="https://example.com/track.png">',
    '<div style="background:url(https://example.com/x)">x</div>', '<svg onload="alert(1)"></svg>',
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
])
def test_the_sanitizer_leaves_nothing_that_runs_or_fetches(hostile):
    cleaned = clean_html(hostile)
    for tag, attrs in _live_markup(cleaned):
        assert tag not in ("script", "iframe", "svg", "object", "embed", "style"), cleaned
        for name, value in attrs:
            assert not name.startswith("on") and name != "style", cleaned
            if name in ("src", "href"):
                assert value.startswith(("#", "data:image/")), cleaned


def _live_markup(html: str) -> list[tuple[str, list]]:
    """The tags and attributes a browser would build from ``html`` (escaped text is not markup)."""
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_the_sanitizer_keeps_what_prose_needs():
    prose = ('<h2 id="a">見出し</h2><p><strong>太字</strong> と <code>x</code></p>'
             '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>'
             '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="計算グラフ"><a href="#top">上へ</a>')
    assert clean_html(prose) == prose


def test_feedback_gets_the_instructors_figures_and_never_the_students():
    import copy

    from autograder.nbgrader_bridge import restore_figures

    source = read_notebook(REPO / "source" / "day2" / "2_5_backprop_layers.ipynb")
    graded = copy.deepcopy(source)
    figures = {c.id: c.attachments for c in source.cells if c.cell_type == "markdown" and c.get("attachments")}
    assert "apple_graph.png" in figures["2-5-backprop-layers-02"]
    for cell in graded.cells:  # what intake leaves: no attachments; plus one the student added
        cell.pop("attachments", None)
    graded.cells[0]["attachments"] = {"x.svg": {"image/svg+xml": "PHN2Zz48L3N2Zz4="}}
    restore_figures(graded, source)
    assert {c.id: c.get("attachments") for c in graded.cells if c.get("attachments")} == figures


def test_a_name_with_the_notebooks_topic_gets_that_notebook():
    advice = suggest_name("softmax_kadai.ipynb", DAY1, OTHER_DAYS)
    assert "1_4_softmax_trainee.ipynb に名前を変えて" in advice
    assert "day2" in suggest_name("backprop_layers_kadai.ipynb", DAY1, OTHER_DAYS)
