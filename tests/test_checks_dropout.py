"""The checks of 4_3_dropout: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "4_3_dropout"
CELLS = ["dropout_forward_train", "dropout_test_mode", "dropout_backward"]

HEAD = """
class Dropout:
    def __init__(self, dropout_ratio=0.5, seed=None):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng(seed)
        self.mask = None
"""
ANSWER = HEAD + """
    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        return x.copy()

    def backward(self, dout):
        return dout * self.mask / (1.0 - self.dropout_ratio)
"""
OTHER = HEAD + """
    def forward(self, x, train_flg=True):
        if not train_flg:
            return x
        keep = 1.0 - self.dropout_ratio
        self.mask = (self.rng.random(size=x.shape) > self.dropout_ratio).astype(x.dtype) / keep
        return x * self.mask

    def backward(self, dout):
        return np.multiply(dout, self.mask)
"""
CORRECT = {cell: {"answer": ANSWER, "scaled mask stored, x returned at test time": OTHER} for cell in CELLS}


def _replace(old, new, code=ANSWER):
    assert old in code, old
    return code.replace(old, new)


NOT_SCALED = _replace("return x * self.mask / (1.0 - self.dropout_ratio)", "return x * self.mask")
BOOK = NOT_SCALED.replace("return x.copy()", "return x * (1.0 - self.dropout_ratio)")
SCALED_TWICE = _replace("return x.copy()", "return x * (1.0 - self.dropout_ratio)")
ACTIVE_AT_TEST = _replace("        if train_flg:\n            self.mask", "        if True:\n            self.mask")
TEST_DRAWS = _replace("        return x.copy()", "        self.rng.random(x.shape)\n        return x.copy()")
KEEPS_RATIO = _replace("self.mask = self.rng.random(x.shape) > self.dropout_ratio",
                       "self.mask = self.rng.random(x.shape) < self.dropout_ratio")
REDRAW = _replace("        return dout * self.mask / (1.0 - self.dropout_ratio)",
                  "        self.mask = self.rng.random(dout.shape) > self.dropout_ratio\n"
                  "        return dout * self.mask / (1.0 - self.dropout_ratio)")
NO_MASK = _replace("return dout * self.mask / (1.0 - self.dropout_ratio)", "return dout / (1.0 - self.dropout_ratio)")
BACKWARD_NOT_SCALED = _replace("return dout * self.mask / (1.0 - self.dropout_ratio)", "return dout * self.mask")
MUTATES_DOUT = _replace("return dout * self.mask / (1.0 - self.dropout_ratio)",
                        "dout *= self.mask / (1.0 - self.dropout_ratio)\n        return dout")

WRONG = {
    "no 1/(1-ratio) in training": (NOT_SCALED, "dropout_forward_train", "1 / (1 - dropout_ratio) 倍していません"),
    "the book's convention (scaled at test time)": (BOOK, "dropout_forward_train", "inverted dropout"),
    "scaled twice (test time multiplies too)": (SCALED_TWICE, "dropout_test_mode", "二重"),
    "dropout active at test time": (ACTIVE_AT_TEST, "dropout_test_mode", "テスト時（train_flg=False）にもニューロンを消して"),
    "random numbers drawn at test time": (TEST_DRAWS, "dropout_test_mode", "乱数を引いています"),
    "keeps dropout_ratio instead of 1 - dropout_ratio": (KEEPS_RATIO, "dropout_forward_train", "逆です"),
    "mask redrawn in backward": (REDRAW, "dropout_backward", "マスクを作り直して"),
    "backward without the mask": (NO_MASK, "dropout_backward", "マスクを掛けていません"),
    "backward without 1/(1-ratio)": (BACKWARD_NOT_SCALED, "dropout_backward", "backward で 1 / (1 - dropout_ratio)"),
    "backward writes into dout": (MUTATES_DOUT, "dropout_backward", "書き換えられています"),
}

STUB = HEAD + """
    def forward(self, x, train_flg=True):
        # ここに解答を書いてください
        raise NotImplementedError()

    def backward(self, dout):
        # ここに解答を書いてください
        raise NotImplementedError()
"""
STUBS = {cell: STUB for cell in CELLS}


@pytest.mark.parametrize("grade_id,name", [(g, n) for g in sorted(CORRECT) for n in sorted(CORRECT[g])])
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert words in message, message


@pytest.mark.parametrize("grade_id", sorted(STUBS))
def test_untouched_stub_fails(judge_code, grade_id):
    passed, message = judge_code(NB, grade_id, STUBS[grade_id])
    assert not passed and "まだ解答が書かれていません" in message, message


def test_every_cell_is_proven():
    from autograder.checks import registry

    cells = set(registry()[NB])
    assert cells <= set(CORRECT), f"cells without correct variants: {sorted(cells - set(CORRECT))}"
    assert cells <= {w[1] for w in WRONG.values()}, "cells without a typical mistake"
    assert cells <= set(STUBS), f"cells without the stub: {sorted(cells - set(STUBS))}"
