"""The checks of 7_1_nlp_basics: right answers pass, typical mistakes fail with a hint (in the grader and in
the notebook's self-check: the judge_code fixture proves both)."""

import pytest

NB = "7_1_nlp_basics"

PREPROCESS = """
def preprocess(text):
    word_to_id, id_to_word = {}, []
    for word in text.split():
        if word not in word_to_id:
            word_to_id[word] = len(id_to_word)
            id_to_word.append(word)
    corpus = np.array([word_to_id[w] for w in text.split()], dtype=np.int64)
    return corpus, word_to_id, id_to_word
"""
PREPROCESS_FROMKEYS = """
def preprocess(text):
    words = text.split()
    id_to_word = list(dict.fromkeys(words))
    word_to_id = {w: i for i, w in enumerate(id_to_word)}
    corpus = np.zeros(len(words), dtype=np.int64)
    for k, w in enumerate(words):
        corpus[k] = word_to_id[w]
    return corpus, word_to_id, id_to_word
"""
CO = """
def create_co_matrix(corpus, vocab_size, window_size=1):
    corpus_size = len(corpus)
    co_matrix = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    for idx, word_id in enumerate(corpus):
        for i in range(1, window_size + 1):
            left_idx = idx - i
            right_idx = idx + i
            if left_idx >= 0:
                co_matrix[word_id, corpus[left_idx]] += 1
            if right_idx < corpus_size:
                co_matrix[word_id, corpus[right_idx]] += 1
    return co_matrix
"""
CO_SHIFTED = """
def create_co_matrix(corpus, vocab_size, window_size=1):
    C = np.zeros((vocab_size, vocab_size), dtype=np.int32)
    for i in range(1, window_size + 1):
        if i < len(corpus):
            np.add.at(C, (corpus[i:], corpus[:-i]), 1)
            np.add.at(C, (corpus[:-i], corpus[i:]), 1)
    return C
"""
PPMI = """
def ppmi(C, eps=1e-8):
    N = np.sum(C)
    S = np.sum(C, axis=0)
    pmi = np.log2(C * N / (S[None, :] * S[:, None]) + eps)
    return np.maximum(0.0, pmi)
"""
PPMI_LOOP = """
def ppmi(C, eps=1e-8):
    M = np.zeros_like(C, dtype=np.float64)
    N = np.sum(C)
    S = np.sum(C, axis=0)
    for i in range(C.shape[0]):
        for j in range(C.shape[1]):
            pmi = np.log2(C[i, j] * N / (S[j] * S[i]) + eps)
            M[i, j] = max(0, pmi)
    return M
"""
COS = """
def cos_similarity(x, y, eps=1e-8):
    nx = x / (np.sqrt(np.sum(x ** 2)) + eps)
    ny = y / (np.sqrt(np.sum(y ** 2)) + eps)
    return np.dot(nx, ny)
"""
COS_NORM = """
def cos_similarity(x, y, eps=1e-8):
    return float(np.sum(x * y) / ((np.linalg.norm(x) + eps) * (np.linalg.norm(y) + eps)))
"""
MOST_SIMILAR = COS + """
def most_similar(query, word_to_id, id_to_word, word_matrix, top=5):
    if query not in word_to_id:
        return []
    q = word_matrix[word_to_id[query]]
    sims = np.array([cos_similarity(v, q) for v in word_matrix])
    result = []
    for i in np.argsort(-sims, kind="stable"):
        if id_to_word[i] == query:
            continue
        result.append((id_to_word[i], float(sims[i])))
        if len(result) >= top:
            break
    return result
"""
MOST_SIMILAR_SORTED = COS + """
def most_similar(query, word_to_id, id_to_word, word_matrix, top=5):
    if query not in word_to_id:
        return []
    qid = word_to_id[query]
    pairs = [(-cos_similarity(word_matrix[i], word_matrix[qid]), i) for i in range(len(id_to_word)) if i != qid]
    pairs.sort()
    return [(id_to_word[i], -s) for s, i in pairs[:top]]
"""
CORRECT = {"preprocess_values": {"loop": PREPROCESS, "dict.fromkeys": PREPROCESS_FROMKEYS},
           "create_co_matrix_values": {"book loop": CO, "shifted np.add.at, int32": CO_SHIFTED},
           "ppmi_values": {"vectorised": PPMI, "book loop": PPMI_LOOP},
           "cos_similarity_values": {"book": COS, "linalg.norm": COS_NORM},
           "most_similar_values": {"argsort stable": MOST_SIMILAR, "sorted pairs": MOST_SIMILAR_SORTED}}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "sorted vocabulary": (_replace(PREPROCESS_FROMKEYS, "list(dict.fromkeys(words))", "sorted(set(words))"),
                          "preprocess_values", "並べ替えて"),
    "split on one space": (_replace(PREPROCESS_FROMKEYS, "text.split()", 'text.split(" ")'), "preprocess_values",
                           "text.split(\" \")"),
    "ids from 1": (_replace(PREPROCESS_FROMKEYS, "list(dict.fromkeys(words))", '["<unk>"] + list(dict.fromkeys(words))'),
                   "preprocess_values", "1 から"),
    "float corpus": (_replace(PREPROCESS, "dtype=np.int64", "dtype=float"), "preprocess_values", "浮動小数点数"),
    "corpus as a list": (_replace(PREPROCESS, "np.array([word_to_id[w] for w in text.split()], dtype=np.int64)",
                                  "[word_to_id[w] for w in text.split()]"), "preprocess_values", "リストのまま"),
    "window counts the word itself": (_replace(CO, "range(1, window_size + 1)", "range(0, window_size + 1)"),
                                      "create_co_matrix_values", "単語自身"),
    "window wraps round the start": (_replace(CO, "if left_idx >= 0:", "if True:"), "create_co_matrix_values",
                                     "端を越えて"),
    "window overruns the end": (_replace(CO, "if right_idx < corpus_size:", "if True:"), "create_co_matrix_values",
                                "idx + i < len(corpus)"),
    "left side only": (_replace(CO, "co_matrix[word_id, corpus[right_idx]] += 1", "pass"), "create_co_matrix_values",
                       "左側"),
    "window_size ignored": (_replace(CO, "range(1, window_size + 1)", "range(1, 2)"), "create_co_matrix_values",
                            "window_size を使っていません"),
    "assigned instead of counted": (_replace(CO, "] += 1", "] = 1"), "create_co_matrix_values", "1 を代入"),
    "float matrix": (_replace(CO, "dtype=np.int64", "dtype=float"), "create_co_matrix_values", "浮動小数点数"),
    "ppmi without max(0, .)": (_replace(PPMI, "return np.maximum(0.0, pmi)", "return pmi"), "ppmi_values",
                               "負の値を 0 に"),
    "ppmi with log of 0": (_replace(PPMI, " + eps)", ")"), "ppmi_values", "log(0)"),
    "ppmi with eps outside the log": (_replace(PPMI, " + eps)", ") + eps"), "ppmi_values", "log(0)"),
    "natural log": (_replace(PPMI, "np.log2", "np.log"), "ppmi_values", "自然対数"),
    "N = vocabulary size": (_replace(PPMI, "N = np.sum(C)", "N = C.shape[0]"), "ppmi_values", "C.sum()"),
    "cosine without epsilon": (_replace(COS, ") + eps)", "))"), "cos_similarity_values", "eps を足していない"),
    "eps inside the square root": (_replace(COS, "np.sum(x ** 2)) + eps)", "np.sum(x ** 2) + eps))").replace(
        "np.sum(y ** 2)) + eps)", "np.sum(y ** 2) + eps))"), "cos_similarity_values", "平方根の中"),
    "eps on the product of norms": ("def cos_similarity(x, y, eps=1e-8):\n"
                                    "    return np.dot(x, y) / (np.sqrt(np.sum(x ** 2)) * np.sqrt(np.sum(y ** 2)) + eps)\n",
                                    "cos_similarity_values", "ノルムの積"),
    "dot product only": ("def cos_similarity(x, y, eps=1e-8):\n    return np.dot(x, y)\n", "cos_similarity_values",
                         "内積だけ"),
    "divided by the sum of squares": (_replace(COS, "np.sqrt(np.sum(x ** 2))", "np.sum(x ** 2)").replace(
        "np.sqrt(np.sum(y ** 2))", "np.sum(y ** 2)"), "cos_similarity_values", "2 乗和"),
    "query kept": (_replace(MOST_SIMILAR, "if id_to_word[i] == query:", "if False:"),
                   "most_similar_values", "query 自身"),
    "ascending order": (_replace(MOST_SIMILAR, "np.argsort(-sims", "np.argsort(sims"), "most_similar_values",
                        "小さい順"),
    "top ignored": (_replace(MOST_SIMILAR, "        if len(result) >= top:\n            break\n", ""),
                    "most_similar_values", "top 個より多く"),
    "top taken before the query is removed": (_replace(MOST_SIMILAR, "np.argsort(-sims, kind=\"stable\")",
                                                       "np.argsort(-sims, kind=\"stable\")[:top]"),
                                              "most_similar_values", "1 つ足りません"),
    "ids instead of words": (_replace(MOST_SIMILAR, "result.append((id_to_word[i],", "result.append((int(i),"),
                             "most_similar_values", "ID を返して"),
    "dot product ranking": (_replace(MOST_SIMILAR, "cos_similarity(v, q)", "np.dot(v, q)"), "most_similar_values",
                            "内積で並べて"),
    "unknown query raises": (_replace(MOST_SIMILAR, "    if query not in word_to_id:\n        return []\n", ""),
                             "most_similar_values", "KeyError"),
    "most_similar with a wrong cos_similarity": (_replace(MOST_SIMILAR, ") + eps)", "))"), "most_similar_values",
                                                 "先に cos_similarity を直して"),
}

STUBS = {
    "preprocess_values": "def preprocess(text):\n    raise NotImplementedError()\n",
    "create_co_matrix_values": "def create_co_matrix(corpus, vocab_size, window_size=1):\n    raise NotImplementedError()\n",
    "ppmi_values": "def ppmi(C, eps=1e-8):\n    raise NotImplementedError()\n",
    "cos_similarity_values": "def cos_similarity(x, y, eps=1e-8):\n    raise NotImplementedError()\n",
    "most_similar_values": COS + "def most_similar(query, word_to_id, id_to_word, word_matrix, top=5):\n"
                                 "    raise NotImplementedError()\n",
}


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


def test_split_by_char_type_keeps_names_and_compounds():
    from course.text_tokens import split_by_char_type, tokenize_corpus

    assert split_by_char_type("ジョバンニは銀河ステーションを見た。") == [
        "ジョバンニ", "は", "銀河", "ステーション", "を", "見", "た", "。"]
    assert split_by_char_type("「ああ、ABC 12」") == ["「", "ああ", "、", "ABC", "12", "」"]
    assert split_by_char_type("") == []
    words = tokenize_corpus().split()
    assert 14000 < len(words) < 16000 and 4000 < len(set(words)) < 4500  # the numbers the prose of 7.1 states
