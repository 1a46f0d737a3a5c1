"""Attacks on the grader: none may turn a wrong answer into points, stop the batch, slow it
beyond its limits, or change anything outside the submission's own sandbox."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import tempfile
import threading
from pathlib import Path

import psutil
import pytest

from autograder import grade
from autograder.execute import SLOT_UID_BASE, slot_is_free
from autograder.grade import score_table

from .grading_support import REPO, answer, make_course_root, submit, trainee, with_answer

DAY, NB, ANSWER_CELL = "day1", "1_4_softmax", "softmax"
CORRECT = """
def softmax(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
"""
WRONG = """
def softmax(x):
    return np.zeros_like(np.asarray(x, dtype=float))
"""

ATTACKS = {
    "showtraceback": "get_ipython().showtraceback = lambda *a, **k: None\n" + WRONG,
    "set_custom_exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n" + WRONG,
    "excepthook": "import sys\nsys.excepthook = lambda *a: None\n" + WRONG,
    "patched_numpy": WRONG + """
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, **k: np.ones(np.shape(a), dtype=bool)
""",
    "patched_math_builtins": WRONG + """
import builtins, math
math.isclose = lambda *a, **k: True
builtins.isinstance = lambda *a: True
builtins.len = lambda *a: 3
""",
    "always_true_eq": """
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __array__(self, dtype=None, copy=None): return np.zeros(3)
    shape = (3,)
def softmax(x):
    return Liar()
""",
    "lying_ndarray_subclass": """
class Fake(np.ndarray):
    @property
    def dtype(self): return np.dtype(float)
    def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
def softmax(x):
    return np.zeros(np.shape(x), dtype=np.int8).view(Fake)
""",
    "os_exit": WRONG + "import os\nos._exit(0)\n",
    "sys_exit": WRONG + "import sys\nsys.exit(0)\n",
    "systemexit_in_finally": WRONG + "try:\n    pass\nfinally:\n    raise SystemExit(0)\n",
    "kill_parent": WRONG + "import os, signal\nfor p in (os.getppid(), 1):\n    try:\n        os.kill(p, signal.SIGKILL)\n    except Exception:\n        pass\n",
    "infinite_loop": WRONG + "while True:\n    pass\n",
    "ignores_sigint": WRONG + "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "memory_bomb": WRONG + "hog = []\nwhile True:\n    hog.append(bytearray(100 * 1024 * 1024))\n",
    "fork_bomb": WRONG + "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
    "huge_output": WRONG + "for _ in range(200):\n    print('x' * 1_000_000)\n",
    "input": "name = input('名前: ')\n" + CORRECT,
    "input_transformer_skips_probe": WRONG + "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n",
    "forged_probe_output": WRONG + """
from IPython.display import display
def _forge(info):
    display({'application/vnd.genba-dl.probe+json': {'nonce': 'guess', 'reports': []}}, raw=True)
get_ipython().events.register('pre_run_cell', _forge)
""",
    "read_hidden_checks": """
import glob
found = glob.glob('/**/autograder/checks/day1/softmax.py', recursive=True)
ns = {}
for f in found:
    try:
        exec(open(f).read(), ns)
        break
    except Exception:
        pass
softmax = ns.get('reference_softmax') or (lambda x: np.zeros_like(x))
try:
    from autograder.checks.day1.softmax import reference_softmax as softmax
except Exception:
    pass
""",
    "network": """
import socket
def softmax(x):
    return np.zeros_like(x)
try:
    socket.create_connection(('127.0.0.1', PORT), timeout=3).close()
""" + "\n".join("    " + line for line in CORRECT.strip().splitlines()) + """
except OSError:
    pass
""",
}
# Correct values, but the input is modified in place and an overflow warning is raised: the
# probe reports both. Each attack below tries to recognise the probe and hide them from it.
IN_PLACE = """
def softmax(x):
    x = np.asarray(x)
    unused = np.exp(x)  # overflows at extreme inputs
    x -= np.max(x, axis=-1, keepdims=True)  # changes the caller's array
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
_WRAP = ("_orig_sm = softmax\\n"
         "def softmax(x, *a, **k):\\n"
         "    with np.errstate(all='ignore'):\\n"
         "        return _orig_sm(np.array(x, copy=True), *a, **k)\\n")
def _looks_like_probe(text):
    return not text.strip() or any(w in text for w in ("probe", "採点", "b64decode", "nonce"))
"""
ATTACKS.update({
    "input_transformer_hides_side_effects": IN_PLACE + """
def _hide(lines):
    if _looks_like_probe("".join(lines)):
        return [_WRAP] + list(lines) + ["\\nsoftmax = _orig_sm\\n"]
    return lines
get_ipython().input_transformers_cleanup.append(_hide)
get_ipython().input_transformers_post.append(_hide)
""",
    "ast_transformer_hides_side_effects": IN_PLACE + """
import ast
class _Hide(ast.NodeTransformer):
    def visit_Module(self, node):
        if _looks_like_probe(ast.unparse(node)):
            node.body = ast.parse(_WRAP).body + node.body + ast.parse("softmax = _orig_sm").body
        return node
get_ipython().ast_transformers.append(_Hide())
""",
    "hooks_wrap_around_probe": IN_PLACE + """
_state = {}
def _before(info):
    if _looks_like_probe(info.raw_cell or ""):
        exec(_WRAP, get_ipython().user_ns)
def _empty_request(lines):  # a request with no code of its own: wrap until the next real cell
    ns = get_ipython().user_ns
    if not "".join(lines).strip():
        exec(_WRAP, ns)
    elif "_orig_sm" in ns:
        ns["softmax"] = ns.pop("_orig_sm")
    return lines
get_ipython().events.register("pre_run_cell", _before)
get_ipython().input_transformers_cleanup.insert(0, _empty_request)
""",
})
WRITE_ATTACK = WRONG + """
import glob, os
for pattern in ('/**/gradebook.db', '/**/source/day1/*.ipynb', '/**/course/checking.py', '/**/grading/results/**/*.json'):
    for f in glob.glob(pattern, recursive=True)[:50]:
        try:
            with open(f, 'w') as fh:
                fh.write('owned')
        except Exception:
            pass
try:
    open(os.path.join(HOST_TMPDIR, 'left-behind-by-student'), 'w').write('x')
except Exception:
    pass
"""


def _tree_digest(*paths) -> dict[str, str]:
    digests = {}
    for base in paths:
        for dirpath, _, files in os.walk(base):
            if "__pycache__" in dirpath:
                continue
            for name in files:
                p = os.path.join(dirpath, name)
                digests[p] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def attacked_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    root = make_course_root(tmp)
    subs = tmp / "submissions"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    threading.Thread(target=lambda: [listener.accept() for _ in range(8)], daemon=True).start()
    base = trainee(DAY, NB)
    for name, code in ATTACKS.items():
        submit(subs, f"attack_{name}", f"{NB}_trainee.ipynb", with_answer(base, ANSWER_CELL, code.replace("PORT", str(port))))
    submit(subs, "attack_write_files", f"{NB}_trainee.ipynb", with_answer(
        base, ANSWER_CELL, WRITE_ATTACK.replace("HOST_TMPDIR", repr(tempfile.gettempdir()))))
    # structure attacks: deleted / duplicated / re-labelled test cells
    nb = with_answer(base, ANSWER_CELL, WRONG)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    submit(subs, "attack_deleted_tests", f"{NB}_trainee.ipynb", nb)
    nb = with_answer(base, ANSWER_CELL, CORRECT)
    nb.cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    submit(subs, "honest_deleted_tests", f"{NB}_trainee.ipynb", nb)
    nb = with_answer(base, ANSWER_CELL, WRONG)
    for c in nb.cells:
        if c.metadata.get("nbgrader", {}).get("grade"):
            c.metadata["nbgrader"].update(grade=False, solution=False, points=0)
            c.source = "pass"
        c.id = "renamed-" + c.id
    submit(subs, "attack_metadata", f"{NB}_trainee.ipynb", nb)
    nb = with_answer(base, ANSWER_CELL, WRONG)
    nb.cells = nb.cells + [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    submit(subs, "attack_duplicated_cells", f"{NB}_trainee.ipynb", nb)
    # robustness: broken files
    submit(subs, "broken_json", f"{NB}_trainee.ipynb", "{ this is not json")
    submit(subs, "broken_utf8", f"{NB}_trainee.ipynb", b'{"cells": "\xff\xfe"}')
    submit(subs, "broken_nbformat3", f"{NB}_trainee.ipynb", json.dumps({"nbformat": 3, "worksheets": []}))
    submit(subs, "broken_empty", f"{NB}_trainee.ipynb", "")
    submit(subs, "renamed", "softmax_kadai.ipynb", answer(DAY, NB))
    submit(subs, "duplicated", f"{NB}.ipynb", with_answer(base, ANSWER_CELL, WRONG))
    submit(subs, "duplicated", f"{NB}_trainee.ipynb", with_answer(base, ANSWER_CELL, CORRECT))
    # files that are not the student's own bytes: links to the instructor's source or a classmate, a FIFO,
    # a link to /dev/zero
    for student, target in [("attack_symlink_source", root / "source" / DAY / f"{NB}.ipynb"),
                            ("attack_symlink_classmate", subs / "zz_bystander0" / f"{NB}_trainee.ipynb"),
                            ("attack_symlink_dev_zero", Path("/dev/zero"))]:
        (subs / student).mkdir(parents=True)
        (subs / student / f"{NB}_trainee.ipynb").symlink_to(target)
    (subs / "attack_fifo").mkdir()
    os.mkfifo(subs / "attack_fifo" / f"{NB}_trainee.ipynb")
    # bystanders: correct answers graded among the attackers, one with a warning on stderr
    for i in range(3):
        submit(subs, f"zz_bystander{i}", f"{NB}_trainee.ipynb", with_answer(base, ANSWER_CELL, CORRECT))
    submit(subs, "zz_bystander_stderr", f"{NB}_trainee.ipynb", with_answer(
        base, ANSWER_CELL, "import sys, warnings\nprint('note', file=sys.stderr)\nwarnings.warn('just a note')\n" + CORRECT))
    protected = (str(REPO / "autograder"), str(REPO / "course"), str(root / "source"))
    before = _tree_digest(*protected)
    code = grade.main([DAY, "--submissions", str(subs), "--root", str(root), "--jobs", "2",
                       "--notebooks", NB, "--cell-timeout", "8", "--notebook-timeout", "30"])
    listener.close()
    after = _tree_digest(*protected)
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    return root, code, score_table(root, DAY), changed


LINKED = ["symlink_source", "symlink_classmate", "symlink_dev_zero", "fifo"]


@pytest.mark.parametrize("student", sorted(f"attack_{n}" for n in list(ATTACKS) + [
    "write_files", "deleted_tests", "metadata", "duplicated_cells"] + LINKED))
def test_attack_scores_zero(attacked_class, student):
    root, _, table, _ = attacked_class
    score, max_score = table[student][NB]
    assert max_score > 0 and score == 0, json.loads((root / "grading/results" / student / f"{NB}.json").read_text())


@pytest.mark.parametrize("student", ["zz_bystander0", "zz_bystander1", "zz_bystander2", "zz_bystander_stderr",
                                     "honest_deleted_tests", "duplicated"])
def test_correct_answers_among_attackers_keep_full_marks(attacked_class, student):
    root, _, table, _ = attacked_class
    score, max_score = table[student][NB]
    assert score == max_score > 0, json.loads((root / "grading/results" / student / f"{NB}.json").read_text())


def test_batch_completes_and_grader_files_are_intact(attacked_class):
    root, code, table, changed = attacked_class
    assert code == 0
    assert changed == []
    assert (root / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"
    # the student's temporary directory is private: nothing it wrote there reaches the grader's
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), "left-behind-by-student"))
    slots = {json.loads(p.read_text()).get("slot") for p in (root / "grading/results").rglob("*.json")}
    uids = {SLOT_UID_BASE + 2 * s + sub for s in slots if s is not None for sub in (0, 1)}
    assert uids
    # Only this run's slots count: once the run ended, another grading run on the machine may
    # lease the same slot (and so run kernels under the same uids); such slots are left out.
    ours = [s for s in slots if slot_is_free(s)]
    leftovers = {(p.info["uids"].real - SLOT_UID_BASE) // 2: p.pid for p in psutil.process_iter(["uids"])
                 if p.info["uids"] and p.info["uids"].real in uids}
    ours = [s for s in ours if slot_is_free(s)]
    assert not [pid for slot, pid in leftovers.items() if slot in ours]


@pytest.mark.parametrize("student,words", [
    ("attack_symlink_source", "シンボリックリンク"), ("attack_symlink_classmate", "シンボリックリンク"),
    ("attack_symlink_dev_zero", "シンボリックリンク"), ("attack_fifo", "名前付きパイプ"),
    ("broken_json", "JSON"), ("broken_utf8", "UTF-8"), ("broken_nbformat3", "nbformat 4"),
    ("broken_empty", "JSON"),
])
def test_broken_files_get_a_clear_message_and_zero(attacked_class, student, words):
    root, _, table, _ = attacked_class
    assert table[student][NB][0] == 0
    result = json.loads((root / "grading/results" / student / f"{NB}.json").read_text())
    assert any(words in note for note in result["notes"]), result["notes"]
    html = (root / "feedback" / student / DAY / f"{NB}.html").read_text(encoding="utf-8")
    assert words in html
    assert "BEGIN SOLUTION" not in html and "shifted" not in html  # the solution code


def test_renamed_file_gets_a_rename_hint(attacked_class):
    root, *_ = attacked_class
    note = (root / "grading" / "intake" / "renamed.txt").read_text(encoding="utf-8")
    assert f"{NB}" in note and "名前を変えて" in note


def test_timeouts_and_dead_kernels_say_why(attacked_class):
    root, *_ = attacked_class
    for student, status in [("attack_infinite_loop", "timeout"), ("attack_ignores_sigint", "timeout"),
                            ("attack_os_exit", "dead"), ("attack_huge_output", "output")]:
        result = json.loads((root / "grading/results" / student / f"{NB}.json").read_text())
        assert result["status"] == status, (student, result["status"])
        assert result["notes"], student
