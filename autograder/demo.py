"""The main job in one command: build the release and grade a sample class.

``course-demo`` builds ``release/`` from ``source/``, makes a sample class in
``demo_class/`` (its own nbgrader course directory, so the real gradebook is untouched):

- ``sato``: every answer notebook (``X.ipynb``) → full marks;
- ``suzuki``: every untouched trainee notebook → zero;
- ``tanaka``: trainee notebooks with typical mistakes (softmax without the max shift,
  step function returning bool, cross-entropy without the epsilon, OR gate with a wrong
  threshold, predict without softmax) and otherwise correct answers;
- ``yamada``: a broken file, a misnamed file and one correct notebook;

grades it through the real pipeline and prints the score table, the per-check summary
and where the feedback is. Then it scores three capstone submissions with ``course-score``'s
scorer (the answer notebook with the FC baseline model, the untouched trainee notebook, and a
``predict_proba`` that forgets the softmax) and archives their reports in ``demo_class/capstone/``.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from pathlib import Path

from .build import build
from .grade import main as grade_main
from .nbgrader_setup import repo_root
from .notebook_cells import TRAINEE_SUFFIX, grade_id, is_answer_cell, read_notebook, strip_solution_markers, write_notebook

MISTAKES = {
    ("1_4_softmax", "softmax"): """
def softmax(x):
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
""",
    ("1_2_activation_function", "step_function_answer"): """
def step_function(x):
    return x > 0
""",
    ("1_9_loss_function", "cross_entropy_error"): """
def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t])) / batch_size
""",
    ("1_1_perceptron", "or_gate_answer"): """
def OR(x1, x2):
    w1, w2, theta = 0.5, 0.5, 0.5
    tmp = x1 * w1 + x2 * w2
    if tmp <= theta:
        return 0
    return 1
""",
    ("1_7_predict", "predict"): """
def predict(network, x):
    W1, W2, W3 = network['W1'], network['W2'], network['W3']
    b1, b2, b3 = network['b1'], network['b2'], network['b3']
    z1 = sigmoid(np.dot(x, W1) + b1)
    z2 = sigmoid(np.dot(z1, W2) + b2)
    return np.dot(z2, W3) + b3
""",
}


def _answers_filled(source_nb, trainee_nb, overrides: dict[str, str]):
    """The trainee notebook with the instructor's answers, except ``overrides`` (answer id → code)."""
    answers = {grade_id(c): strip_solution_markers(c.source) for c in source_nb.cells if is_answer_cell(c)}
    nb = copy.deepcopy(trainee_nb)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in answers:
            cell.source = overrides.get(gid, answers[gid]).strip("\n")
    return nb


def make_class(root: Path, day: str, out: Path) -> None:
    release = root / "release" / day
    graded = sorted(p.name[: -len(TRAINEE_SUFFIX + ".ipynb")] for p in release.glob(f"*{TRAINEE_SUFFIX}.ipynb"))
    for student in ("sato", "suzuki", "tanaka", "yamada"):
        (out / student).mkdir(parents=True, exist_ok=True)
    for name in graded:
        shutil.copy(release / f"{name}.ipynb", out / "sato" / f"{name}.ipynb")
        shutil.copy(release / f"{name}{TRAINEE_SUFFIX}.ipynb", out / "suzuki" / f"{name}{TRAINEE_SUFFIX}.ipynb")
        source_nb = read_notebook(root / "source" / day / f"{name}.ipynb")
        trainee_nb = read_notebook(release / f"{name}{TRAINEE_SUFFIX}.ipynb")
        overrides = {gid: code for (nb_name, gid), code in MISTAKES.items() if nb_name == name}
        write_notebook(_answers_filled(source_nb, trainee_nb, overrides), out / "tanaka" / f"{name}{TRAINEE_SUFFIX}.ipynb")
    first, second = graded[0], graded[-1]
    (out / "yamada" / f"{first}{TRAINEE_SUFFIX}.ipynb").write_text('{"cells": [', encoding="utf-8")
    shutil.copy(release / f"{second}.ipynb", out / "yamada" / f"{second}{TRAINEE_SUFFIX}.ipynb")
    shutil.copy(release / f"{graded[1]}.ipynb", out / "yamada" / "kadai_final.ipynb")


def capstone_demo(root: Path, out: Path) -> None:
    """Score three sample capstone submissions and print one line for each."""
    import nbformat

    from .capstone.samples import answer_notebook_bytes, fill_in_notebook_bytes, zip_files
    from .capstone.score import archive, load_test_set, score_submission

    model = (root / "capstone" / "baselines" / "fc" / "model.npz").read_bytes()
    answer = answer_notebook_bytes()
    logits = nbformat.reads(answer.decode("utf-8"), as_version=4)
    for cell in logits.cells:
        if "def predict_proba" in cell.source:
            cell.source = cell.source.replace("network.predict_proba(", "network.predict(")
    samples = {
        "sato": zip_files({"submit_katakana.ipynb": answer, "model.npz": model}),
        "suzuki": zip_files({"submit_katakana.ipynb": fill_in_notebook_bytes(), "model.npz": model}),
        "tanaka": zip_files({"submit_katakana.ipynb": nbformat.writes(logits).encode("utf-8"), "model.npz": model}),
    }
    test = load_test_set()
    for student, data in samples.items():
        result = score_submission(data, test=test)
        where = archive(data, result, out)
        report = result.report
        if report["status"] == "scored":
            line = (f"公開 {report['public']['accuracy'] * 100:.2f} %（損失 {report['public']['loss']:.4f}）、"
                    f"非公開 {report['private']['accuracy'] * 100:.2f} %")
        else:
            line = f"{report['status']} / {report['error']['kind']}: {report['error']['message'][:80]}"
        print(f"    {student}: {line}  ({where.relative_to(out.parent)})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--day", default="day1")
    parser.add_argument("--out", type=Path, default=None, help="demo directory (default: demo_class/)")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args(argv)
    root = repo_root()
    demo = (args.out or root / "demo_class").resolve()
    print("1/4 release/ をビルドしています…")
    for path in build(root, [args.day]):
        print("   ", path.relative_to(root))
    if demo.exists():
        shutil.rmtree(demo)
    course = demo / "course"
    shutil.copytree(root / "source", course / "source")
    submissions = demo / "submissions"
    print(f"2/4 サンプルクラスを作成しています: {submissions}")
    make_class(root, args.day, submissions)
    print("3/4 採点しています…")
    grade_args = [args.day, "--submissions", str(submissions), "--root", str(course)]
    if args.jobs:
        grade_args += ["--jobs", str(args.jobs)]
    code = grade_main(grade_args)
    print("4/4 最終課題（カタカナ認識）の提出を採点しています…")
    capstone_demo(root, demo / "capstone")
    return code


if __name__ == "__main__":
    sys.exit(main())
