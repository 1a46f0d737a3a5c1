"""Hidden checks of 7_1_nlp_basics: words to ids, co-occurrence matrix, PPMI, cosine similarity, most-similar.

Conventions stated in the notebook and tested here (the reference is ``course.nlp_basics``, names from
『ゼロから作るDeep Learning ❷』 2 章):
- ``preprocess(text)`` -> ``(corpus, word_to_id, id_to_word)``: words = ``text.split()``; ids 0, 1, ... in the
  order of first appearance; ``corpus`` a 1-D int array (``np.int64``), ``word_to_id`` a dict, ``id_to_word`` a list.
- ``create_co_matrix(corpus, vocab_size, window_size=1)``: an int matrix (V, V); for each position the words
  1 .. window_size to the left and to the right are counted when they are inside the corpus; the word
  itself is not counted and nothing wraps round the ends.
- ``ppmi(C, eps=1e-8)``: ``max(0, log2(C[i, j] * N / (S[j] * S[i]) + eps))`` with ``N = C.sum()``,
  ``S = C.sum(axis=0)``; float; no warnings for zeros in C (every word has S > 0).
- ``cos_similarity(x, y, eps=1e-8)``: ``dot(x / (sqrt(sum(x**2)) + eps), y / (sqrt(sum(y**2)) + eps))``;
  a zero vector gives 0 without a warning.
- ``most_similar(query, word_to_id, id_to_word, word_matrix, top=5)``: list of ``(word, similarity)`` tuples,
  highest similarity first, the query left out, ties by smaller id, at most ``top``; ``[]`` for an unknown query.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake
from course.nlp_basics import cos_similarity as reference_cos_similarity
from course.nlp_basics import create_co_matrix as reference_create_co_matrix
from course.nlp_basics import most_similar as reference_most_similar
from course.nlp_basics import ppmi as reference_ppmi
from course.nlp_basics import preprocess as reference_preprocess
from course.text_tokens import tokenize_corpus

NOTEBOOK = "7_1_nlp_basics"

# --------------------------------------------------------------------------- preprocess
TEXT_VISIBLE = "わたし は ねこ が すき 。 あなた は いぬ が すき 。"
rashomon_head = " ".join(tokenize_corpus("rashomon").split()[:80])


def _vocab(words, order):
    id_to_word = list(order)
    word_to_id = {w: i for i, w in enumerate(id_to_word)}
    return np.array([word_to_id[w] for w in words], dtype=np.int64), word_to_id, id_to_word


PREPROCESS_MISTAKES = [
    Mistake("corpus が浮動小数点数になっています。ID の列は整数の配列（dtype=np.int64）にしてください"
            "（空の文章では np.array([]) が float64 になります）。",
            lambda text: (reference_preprocess(text)[0].astype(np.float64),) + reference_preprocess(text)[1:]),
    Mistake("corpus をリストのまま返しています。np.array(..., dtype=np.int64) で numpy の配列にしてください。",
            lambda text: (reference_preprocess(text)[0].tolist(),) + reference_preprocess(text)[1:]),
    Mistake("単語を並べ替えています（sorted など）。ID は単語が初めて出てきた順に 0, 1, 2, ... と付けます。",
            lambda text: _vocab(text.split(), sorted(set(text.split())))),
    Mistake("text.split(\" \") で区切っているため、空白が 2 つ続くところや改行で空の文字列 \"\" や改行つきの単語が"
            "できています。引数なしの text.split() を使うと、空白・改行の並びをまとめて区切りにできます。",
            lambda text: _vocab(text.split(" "), dict.fromkeys(text.split(" ")))),
    Mistake("ID を 1 から付けています。このノートブック（書籍と同じ）では ID は 0 から始まります（\"<unk>\" は使いません）。",
            lambda text: (reference_preprocess(text)[0] + 1, {w: i + 1 for w, i in reference_preprocess(text)[1].items()},
                          ["<unk>"] + reference_preprocess(text)[2])),
]

# --------------------------------------------------------------------------- create_co_matrix
corpus_visible = reference_preprocess(TEXT_VISIBLE)[0]  # 8 words, 12 positions
corpus_rashomon, _, id_rashomon = reference_preprocess(rashomon_head)
V_rashomon = len(id_rashomon)
repeat = np.array([0, 0, 0, 1, 0, 0], dtype=np.int64)


def _co(corpus, vocab_size, window_size=1, *, offsets=None, wrap=False, binary=False, dtype=np.int64):
    """Counts like the reference with switches: ``wrap`` reads ``corpus[idx - i]`` also when it is negative
    (Python's index from the end) while the right side stays bounded."""
    corpus = np.asarray(corpus)
    n = len(corpus)
    C = np.zeros((vocab_size, vocab_size), dtype=dtype)
    offsets = offsets if offsets is not None else [o for o in range(-window_size, window_size + 1) if o != 0]
    for idx in range(n):
        for o in offsets:
            j = idx + o
            if wrap and j < 0:
                j += n
            elif not 0 <= j < n:
                continue
            if binary:
                C[corpus[idx], corpus[j]] = 1
            else:
                C[corpus[idx], corpus[j]] += 1
    return C


CO_MISTAKES = [
    Mistake("行列が浮動小数点数です。回数なので整数の配列（np.zeros(..., dtype=np.int64)）にしてください。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size, dtype=np.float64)),
    Mistake("単語自身も数えています（対角成分が大きすぎます）。ウィンドウは i = 1, ..., window_size の左右の単語だけで、"
            "i = 0（その単語自身）は含めません。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size,
                                                          offsets=list(range(-window_size, window_size + 1)))),
    Mistake("単語自身も数えています（対角成分が大きすぎます）。ウィンドウは i = 1, ..., window_size の左右の単語だけで、"
            "i = 0（その単語自身）は含めません。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size,
                                                          offsets=list(range(-window_size, window_size + 1)) + [0])),
    Mistake("コーパスの端を越えています。idx - i が負になると corpus[idx - i] は Python では末尾の単語を指すので、"
            "文頭の単語が文末の単語と隣り合っているように数えられます。0 <= idx - i と idx + i < len(corpus) を確かめてから数えます。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size, wrap=True)),
    Mistake("左側（または右側）の単語しか数えていません。idx - i と idx + i の両方を数えます。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size,
                                                          offsets=list(range(-window_size, 0)))),
    Mistake("window_size を使っていません（いつも隣の 1 単語だけを数えています）。i = 1, ..., window_size の単語をすべて数えます。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, 1)),
    Mistake("回数を足さずに 1 を代入しています（C[w, c] = 1）。同じ組が何度も出てきたら、その回数だけ C[w, c] += 1 で数えます。",
            lambda corpus, vocab_size, window_size=1: _co(corpus, vocab_size, window_size, binary=True)),
]
CO_ERRORS = [("out of bounds", "コーパスの右端を越えて corpus[idx + i] を読んでいます。idx + i < len(corpus) のときだけ数えます。"),
             ("IndexError", "添字が範囲の外です。左は 0 <= idx - i、右は idx + i < len(corpus) のときだけ数えます。")]

# --------------------------------------------------------------------------- ppmi
C_visible = reference_create_co_matrix(corpus_visible, 8)
C_small = np.array([[0, 2, 1], [2, 0, 3], [1, 3, 0]], dtype=np.int64)
C_rashomon = reference_create_co_matrix(corpus_rashomon, V_rashomon, 2)
C_one = np.array([[0, 5], [5, 0]], dtype=np.int64)


def _ppmi_variant(C, eps=1e-8, *, clip=True, log=np.log2, total=None):
    C = np.asarray(C, dtype=np.float64)
    N = C.sum() if total is None else total(C)
    S = C.sum(axis=0)
    with np.errstate(all="ignore"):
        pmi = log(C * N / (S[None, :] * S[:, None]) + eps)
    return np.maximum(0.0, pmi) if clip else pmi


PPMI_MISTAKES = [
    Mistake("PMI の負の値を 0 にしていません。PPMI は max(0, PMI) なので、np.maximum(0, pmi) で負の値（と log(0 + eps) の"
            "とても小さな値）を 0 にします。", lambda C, eps=1e-8: _ppmi_variant(C, eps, clip=False)),
    Mistake("自然対数 np.log を使っています。PMI は 2 を底とする対数 np.log2 です。",
            lambda C, eps=1e-8: _ppmi_variant(C, eps, log=np.log)),
    Mistake("常用対数 np.log10 を使っています。PMI は 2 を底とする対数 np.log2 です。",
            lambda C, eps=1e-8: _ppmi_variant(C, eps, log=np.log10)),
    Mistake("N が違います。N は共起行列の要素の合計 C.sum() です（語彙の大きさや行列の要素の数ではありません）。",
            lambda C, eps=1e-8: _ppmi_variant(C, eps, total=lambda M: M.shape[0])),
    Mistake("N が違います。N は共起行列の要素の合計 C.sum() です（語彙の大きさや行列の要素の数ではありません）。",
            lambda C, eps=1e-8: _ppmi_variant(C, eps, total=lambda M: M.size)),
]

# --------------------------------------------------------------------------- cos_similarity


def _cos_variant(x, y, eps=1e-8, *, mode="right"):
    with np.errstate(all="ignore"):
        if mode == "no eps":
            return np.dot(x / np.sqrt(np.sum(x ** 2)), y / np.sqrt(np.sum(y ** 2)))
        if mode == "eps in sqrt":
            return np.dot(x / np.sqrt(np.sum(x ** 2) + eps), y / np.sqrt(np.sum(y ** 2) + eps))
        if mode == "eps on product":
            return np.dot(x, y) / (np.sqrt(np.sum(x ** 2)) * np.sqrt(np.sum(y ** 2)) + eps)
        if mode == "dot":
            return np.dot(x, y)
        if mode == "squares":
            return np.dot(x / (np.sum(x ** 2) + eps), y / (np.sum(y ** 2) + eps))
    raise ValueError(mode)


COS_MISTAKES = [
    Mistake("eps を足していないため、0 ベクトルで 0 / 0 = nan になっています。"
            "nx = x / (np.sqrt(np.sum(x ** 2)) + eps) のように、ノルムに eps を足してから割ります。",
            lambda x, y, eps=1e-8: _cos_variant(x, y, eps, mode="no eps")),
    Mistake("eps を平方根の中に足しています。このノートブック（書籍と同じ）では np.sqrt(np.sum(x ** 2)) + eps、"
            "つまり平方根を取ったノルムに eps を足します（とても小さいベクトルで値が変わります）。",
            lambda x, y, eps=1e-8: _cos_variant(x, y, eps, mode="eps in sqrt")),
    Mistake("ノルムの積に eps を足しています。x と y をそれぞれ正規化します: nx = x / (np.sqrt(np.sum(x ** 2)) + eps)、"
            "ny = y / (np.sqrt(np.sum(y ** 2)) + eps)、戻り値は np.dot(nx, ny) です。",
            lambda x, y, eps=1e-8: _cos_variant(x, y, eps, mode="eps on product")),
    Mistake("内積だけを計算しています。コサイン類似度は、それぞれのベクトルを長さ 1 に正規化してから内積を取ります。",
            lambda x, y, eps=1e-8: _cos_variant(x, y, eps, mode="dot")),
    Mistake("2 乗和で割っています。ベクトルの長さ（ノルム）は 2 乗和の平方根 np.sqrt(np.sum(x ** 2)) です。",
            lambda x, y, eps=1e-8: _cos_variant(x, y, eps, mode="squares")),
]

# --------------------------------------------------------------------------- most_similar
words_visible = ["ねこ", "いぬ", "とり", "くるま", "でんしゃ"]
w2i_visible = {w: i for i, w in enumerate(words_visible)}
W_visible = np.array([[1.0, 0.9, 0.0], [0.9, 1.0, 0.1], [0.6, 0.4, 0.2], [0.0, 0.1, 1.0], [0.1, 0.0, 0.9]])
W_ties = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [2.0, 0.0], [1.0, 1.0]])  # ids 1 and 3: the same vector
rng = np.random.default_rng(710)
W_random = rng.normal(size=(12, 4))
words_random = [f"w{i}" for i in range(12)]
w2i_random = {w: i for i, w in enumerate(words_random)}
words_ties = words_random[:5]
w2i_ties = {w: i for i, w in enumerate(words_ties)}


def _ms_variant(query, word_to_id, id_to_word, word_matrix, top=5, *, keep_query=False, ascending=False,
                ignore_top=False, ids=False, dot=False, short=False):
    if query not in word_to_id:
        return []
    q = word_matrix[word_to_id[query]]
    sims = np.array([np.dot(v, q) if dot else reference_cos_similarity(v, q) for v in word_matrix])
    order = np.argsort(sims if ascending else -sims, kind="stable")
    if short:
        order = order[:top]
    result = []
    for i in order:
        if id_to_word[i] == query and not keep_query:
            continue
        result.append((int(i) if ids else id_to_word[i], float(sims[i])))
        if not ignore_top and len(result) >= top:
            break
    return result


def _ms(**switches):
    return lambda query, word_to_id, id_to_word, word_matrix, top=5: _ms_variant(
        query, word_to_id, id_to_word, word_matrix, top, **switches)


MS_MISTAKES = [
    Mistake("query 自身が結果に入っています。自分自身との類似度はいつも最大（1）なので、query の単語は飛ばします。",
            _ms(keep_query=True)),
    Mistake("類似度の小さい順に並んでいます。大きい順（似ている順）に並べます（np.argsort(-similarity) など）。",
            _ms(ascending=True)),
    Mistake("top 個より多く返しています。似ている順に top 個（語彙が足りなければあるだけ）で止めます。", _ms(ignore_top=True)),
    Mistake("上位 top 個を取ってから query を取り除いたため、1 つ足りません。query を飛ばしながら top 個になるまで集めます。",
            _ms(short=True)),
    Mistake("単語ではなく ID を返しています。組の 1 つ目は id_to_word[i] の単語（文字列）です。", _ms(ids=True)),
    Mistake("内積で並べています。ベクトルの長さに左右されないよう、コサイン類似度（cos_similarity）で比べます。", _ms(dot=True)),
]
MS_ERRORS = [("KeyError", "語彙にない query で KeyError になっています。query が word_to_id にないときは空のリスト [] を返します。")]

MS_VISIBLE = [
    Case("5 単語の 3 次元ベクトル、query = \"ねこ\", top = 3", ("ねこ", w2i_visible, words_visible, W_visible),
         {"top": 3}),
    Case("query = \"くるま\"（top を省略すると 5、語彙が足りないので 4 個）", ("くるま", w2i_visible, words_visible, W_visible)),
    Case("語彙にない query = \"うま\"", ("うま", w2i_visible, words_visible, W_visible), {"top": 2}),
]

COS_VISIBLE = [
    Case("x = [1, 2, 3], y = [2, 4, 6]（向きが同じ）", (np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.0]))),
    Case("x = [1, 0], y = [1, 1]", (np.array([1.0, 0.0]), np.array([1.0, 1.0]))),
    Case("0 ベクトル x = [0, 0, 0], y = [1, 2, 3]（警告なしで 0）", (np.zeros(3), np.array([1.0, 2.0, 3.0])),
         forbid_warnings=True),
    Case("とても短いベクトル x = [3e-4, 4e-4], y = [2e-4, 0]（eps を足す場所で値が変わる）",
         (np.array([3e-4, 4e-4]), np.array([2e-4, 0.0]))),
]

CHECKS = {
    "preprocess_values": [FunctionCheck(
        function="preprocess", reference=reference_preprocess, dtype="int", rtol=0, atol=0,
        visible=[Case(f"text = \"{TEXT_VISIBLE}\"", (TEXT_VISIBLE,)),
                 Case("空白が 2 つ続き、改行を含む text = \"ねこ  が\\nいる\"", ("ねこ  が\nいる",)),
                 Case("空の文字列 text = \"\"", ("",))],
        cases=[Case("『羅生門』の冒頭 80 単語（文字の種類で区切ったもの）", (rashomon_head,)),
               Case("同じ単語だけ text = \"あ あ あ\"", ("あ あ あ",)),
               Case("text = \"c b a c b a\"（並べ替えると順番が変わる）", ("c b a c b a",)),
               Case("前後に空白がある text = \"  いぬ  \\n\"", ("  いぬ  \n",))],
        mistakes=PREPROCESS_MISTAKES)],
    "create_co_matrix_values": [FunctionCheck(
        function="create_co_matrix", reference=reference_create_co_matrix, dtype="int", returns="array",
        rtol=0, atol=0,
        visible=[Case(f"「{TEXT_VISIBLE}」の corpus、vocab_size = 8、window_size = 1", (corpus_visible, 8)),
                 Case("同じ corpus、window_size = 2", (corpus_visible, 8), {"window_size": 2}),
                 Case("corpus = [0, 0, 0, 1, 0, 0]、vocab_size = 3（ID 2 は出てこない）、window_size = 2",
                      (repeat, 3), {"window_size": 2})],
        cases=[Case("『羅生門』の冒頭 80 単語、window_size = 1", (corpus_rashomon, V_rashomon)),
               Case("『羅生門』の冒頭 80 単語、window_size = 3", (corpus_rashomon, V_rashomon), {"window_size": 3}),
               Case("2 単語の corpus = [1, 0]、window_size = 3（ウィンドウがコーパスより長い）",
                    (np.array([1, 0]), 2), {"window_size": 3}),
               Case("1 単語の corpus = [0]、vocab_size = 2", (np.array([0]), 2)),
               Case("corpus = [0, 1, 2, 3, 4]、window_size = 2（端の単語は片側だけ）", (np.arange(5), 5),
                    {"window_size": 2})],
        error_hints=CO_ERRORS, mistakes=CO_MISTAKES)],
    "ppmi_values": [FunctionCheck(
        function="ppmi", reference=reference_ppmi, dtype="float", returns="array", rtol=1e-6, atol=1e-6,
        visible=[Case("3×3 の共起行列 [[0, 2, 1], [2, 0, 3], [1, 3, 0]]（0 を含む、警告なし）", (C_small,),
                      forbid_warnings=True),
                 Case(f"「{TEXT_VISIBLE}」の共起行列（window_size = 1）", (C_visible,), forbid_warnings=True)],
        cases=[Case("『羅生門』の冒頭 80 単語の共起行列（window_size = 2）", (C_rashomon,), forbid_warnings=True),
               Case("2 単語だけ [[0, 5], [5, 0]]", (C_one,), forbid_warnings=True),
               Case("3×3 の共起行列、eps = 1e-3", (C_small,), {"eps": 1e-3}, forbid_warnings=True)],
        mistakes=PPMI_MISTAKES)],
    "cos_similarity_values": [FunctionCheck(
        function="cos_similarity", reference=reference_cos_similarity, dtype="float", rtol=1e-7, atol=1e-12,
        visible=COS_VISIBLE,
        cases=[Case("x = [1, 0], y = [0, 1]（直交）", (np.array([1.0, 0.0]), np.array([0.0, 1.0]))),
               Case("x = [1, 2], y = [-1, -2]（逆向き）", (np.array([1.0, 2.0]), np.array([-1.0, -2.0]))),
               Case("両方 0 ベクトル", (np.zeros(4), np.zeros(4)), forbid_warnings=True),
               Case("正規分布の 6 次元ベクトル 2 つ", tuple(np.random.default_rng(711).normal(size=(2, 6)))),
               Case("とても短いベクトル x = [1e-5, 0, 0], y = [1e-5, 1e-5, 0]",
                    (np.array([1e-5, 0.0, 0.0]), np.array([1e-5, 1e-5, 0.0]))),
               Case("eps = 0.5 を指定、x = [3, 4], y = [4, 3]", (np.array([3.0, 4.0]), np.array([4.0, 3.0])),
                    {"eps": 0.5})],
        mistakes=COS_MISTAKES)],
    "most_similar_values": [
        FunctionCheck(function="cos_similarity", reference=reference_cos_similarity, dtype="float", rtol=1e-7,
                      atol=1e-12, prerequisite_of="most_similar", visible=COS_VISIBLE, cases=COS_VISIBLE,
                      mistakes=COS_MISTAKES),
        FunctionCheck(
            function="most_similar", reference=reference_most_similar, dtype=None, rtol=1e-6, atol=1e-9,
            visible=MS_VISIBLE,
            cases=[Case("12 単語の 4 次元ランダムベクトル、query = \"w3\"", ("w3", w2i_random, words_random, W_random)),
                   Case("同じベクトル、query = \"w0\", top = 10", ("w0", w2i_random, words_random, W_random),
                        {"top": 10}),
                   Case("類似度が同じ単語がある（ID 1 と ID 3 が同点: 小さい ID が先）",
                        ("w0", w2i_ties, words_ties, W_ties), {"top": 4}),
                   Case("top = 1", ("いぬ", w2i_visible, words_visible, W_visible), {"top": 1}),
                   Case("語彙にない query", ("x", w2i_random, words_random, W_random))],
            error_hints=MS_ERRORS, mistakes=MS_MISTAKES)],
}
