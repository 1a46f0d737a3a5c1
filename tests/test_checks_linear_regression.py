"""The hidden checks of 1_5_linear_regression: right answers pass, typical mistakes fail with a hint."""

from pathlib import Path

import nbformat
import pytest

NB = "1_5_linear_regression"
SOURCE = Path(__file__).resolve().parent.parent / "source" / "day1" / f"{NB}.ipynb"

GRADIENT = """
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return 2.0 / len(y) * (X.T @ r), 2.0 * np.mean(r)
"""

# grade_id -> {variant name: code}
CORRECT = {
    "standardize_values": {
        "numpy methods": """
def standardize(X_train, X_test):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std
""",
        "formula by hand, keepdims": """
def standardize(X_train, X_test):
    n = X_train.shape[0]
    mu = np.sum(X_train, axis=0, keepdims=True) / n
    sigma = np.sqrt(np.sum((X_train - mu) ** 2, axis=0, keepdims=True) / n)
    X_train_std = (X_train - mu) / sigma
    X_test_std = (X_test - mu) / sigma
    return X_train_std, X_test_std
""",
        "column by column": """
def standardize(X_train, X_test):
    a = np.empty_like(X_train, dtype=float)
    c = np.empty_like(X_test, dtype=float)
    for j in range(X_train.shape[1]):
        m, s = np.mean(X_train[:, j]), np.std(X_train[:, j])
        a[:, j] = (X_train[:, j] - m) / s
        c[:, j] = (X_test[:, j] - m) / s
    return (a, c)
""",
    },
    "predict_linear_values": {
        "matmul": "def predict_linear(X, w, b):\n    return X @ w + b\n",
        "np.dot": "def predict_linear(X, w, b):\n    return np.dot(X, w) + b\n",
        "broadcast and sum": "def predict_linear(X, w, b):\n    return np.sum(X * w, axis=1) + b\n",
    },
    "mse_values": {
        "np.mean": "def mean_squared_error(y, y_pred):\n    return np.mean((y_pred - y) ** 2)\n",
        "sum / len, python float": "def mean_squared_error(y, y_pred):\n    return float(np.sum((y - y_pred) ** 2) / len(y))\n",
        "dot product": "def mean_squared_error(y, y_pred):\n    d = y_pred - y\n    return d @ d / d.size\n",
    },
    "gradient_mse_values": {
        "matrix form": GRADIENT,
        "loop over samples": """
def gradient_mse(X, y, w, b):
    n, d = X.shape
    dw = np.zeros(d)
    db = 0.0
    for i in range(n):
        r = np.dot(X[i], w) + b - y[i]
        dw += 2 * r * X[i] / n
        db += 2 * r / n
    return dw, db
""",
        "mean of broadcast products": """
def gradient_mse(X, y, w, b):
    r = (X @ w + b - y)[:, None]
    return 2 * np.mean(r * X, axis=0), float(2 * np.mean(r))
""",
    },
}
FIT_CORRECT = {
    "uses gradient_mse": GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
    return w, b
""",
    "self-contained, in-place update": """
def fit_linear_gd(X, y, lr, n_iters):
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    i = 0
    while i < n_iters:
        error = np.dot(X, w) + b - y
        grad_b = 2 * error.sum() / n
        w -= lr * 2 * np.dot(X.T, error) / n
        b -= lr * grad_b
        i += 1
    return (w, b)
""",
    "parameters in one vector with a ones column": """
def fit_linear_gd(X, y, lr, n_iters):
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.zeros(A.shape[1])
    for _ in range(n_iters):
        theta = theta - lr * 2 / len(y) * A.T @ (A @ theta - y)
    return theta[:-1], float(theta[-1])
""",
}
for _gid in ("fit_linear_gd_steps", "fit_linear_gd_converge"):
    CORRECT[_gid] = FIT_CORRECT

CASES_CORRECT = [(gid, name) for gid, variants in CORRECT.items() for name in sorted(variants)]

WRONG = {
    "standardize with test statistics": ("""
def standardize(X_train, X_test):
    return ((X_train - X_train.mean(axis=0)) / X_train.std(axis=0),
            (X_test - X_test.mean(axis=0)) / X_test.std(axis=0))
""", "standardize_values", "テストデータ自身"),
    "standardize with ddof=1": ("""
def standardize(X_train, X_test):
    m, s = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X_train - m) / s, (X_test - m) / s
""", "standardize_values", "ddof=1"),
    "standardize with train+test statistics": ("""
def standardize(X_train, X_test):
    X = np.vstack([X_train, X_test])
    m, s = X.mean(axis=0), X.std(axis=0)
    return (X_train - m) / s, (X_test - m) / s
""", "standardize_values", "合わせた"),
    "standardize over the whole array": ("""
def standardize(X_train, X_test):
    m, s = np.mean(X_train), np.std(X_train)
    return (X_train - m) / s, (X_test - m) / s
""", "standardize_values", "axis=0"),
    "standardize row-wise": ("""
def standardize(X_train, X_test):
    f = lambda X: (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    return f(X_train), f(X_test)
""", "standardize_values", "行ごと"),
    "standardize centres only": ("""
def standardize(X_train, X_test):
    m = X_train.mean(axis=0)
    return X_train - m, X_test - m
""", "standardize_values", "標準偏差で割って"),
    "standardize modifies its input": ("""
def standardize(X_train, X_test):
    m, s = X_train.mean(axis=0), X_train.std(axis=0)
    X_train -= m
    X_train /= s
    X_test -= m
    X_test /= s
    return X_train, X_test
""", "standardize_values", "書き換え"),
    "predict without bias": ("def predict_linear(X, w, b):\n    return X @ w\n", "predict_linear_values", "足し忘れ"),
    "predict returns a column": ("def predict_linear(X, w, b):\n    return X @ w[:, None] + b\n",
                                 "predict_linear_values", "縦ベクトル"),
    "predict returns a list": ("def predict_linear(X, w, b):\n    return list(X @ w + b)\n",
                               "predict_linear_values", "np.ndarray"),
    "mse as a sum": ("def mean_squared_error(y, y_pred):\n    return np.sum((y_pred - y) ** 2)\n", "mse_values", "合計"),
    "mse is rmse": ("def mean_squared_error(y, y_pred):\n    return np.sqrt(np.mean((y_pred - y) ** 2))\n",
                    "mse_values", "RMSE"),
    "mse with 1/2": ("def mean_squared_error(y, y_pred):\n    return 0.5 * np.mean((y_pred - y) ** 2)\n",
                     "mse_values", "0.5"),
    "mse is mae": ("def mean_squared_error(y, y_pred):\n    return np.mean(np.abs(y_pred - y))\n", "mse_values", "絶対値"),
    "mse not reduced": ("def mean_squared_error(y, y_pred):\n    return (y_pred - y) ** 2\n", "mse_values", "配列のまま"),
    "gradient without the factor 2": ("""
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / len(y), np.mean(r)
""", "gradient_mse_values", "係数 2"),
    "gradient not divided by N": ("""
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * np.sum(r)
""", "gradient_mse_values", "N で割って"),
    "gradient with the wrong sign": ("""
def gradient_mse(X, y, w, b):
    r = y - X @ w - b
    return 2 * X.T @ r / len(y), 2 * np.mean(r)
""", "gradient_mse_values", "符号"),
    "gradient without db": ("""
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 0.0
""", "gradient_mse_values", "db を計算していません"),
    "gradient db not summed": ("""
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), 2 * r / len(y)
""", "gradient_mse_values", "db がサンプルごとの配列"),
    "fit returns the initial values": ("""
def fit_linear_gd(X, y, lr, n_iters):
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(n_iters):
        r = X @ w + b - y
        w - lr * 2 * X.T @ r / len(y)
        b - lr * 2 * np.mean(r)
    return w, b
""", "fit_linear_gd_steps", "初期値の w = 0, b = 0 をそのまま"),
    "fit climbs the gradient": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b)
        w, b = w + lr * dw, b + lr * db
    return w, b
""", "fit_linear_gd_steps", "符号が逆"),
    "fit updates w before computing db": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters):
        dw, _ = gradient_mse(X, y, w, b)
        w = w - lr * dw
        _, db = gradient_mse(X, y, w, b)
        b = b - lr * db
    return w, b
""", "fit_linear_gd_steps", "同時に"),
    "fit without the factor 2": ("""
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters):
        r = X @ w + b - y
        w, b = w - lr * X.T @ r / len(y), b - lr * np.mean(r)
    return w, b
""", "fit_linear_gd_steps", "係数 2"),
    "fit never updates b": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b)
        w = w - lr * dw
    return w, b
""", "fit_linear_gd_steps", "バイアス b を更新していません"),
    "fit starts from ones": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.ones(X.shape[1]), 0.0
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b
""", "fit_linear_gd_steps", "初期値が w = 0 になっていません"),
    "fit makes one update too many": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters + 1):
        dw, db = gradient_mse(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b
""", "fit_linear_gd_steps", "1 回多く"),
    "fit makes one update too few": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters - 1):
        dw, db = gradient_mse(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b
""", "fit_linear_gd_converge", "1 回少なく"),
    "fit with a wrong gradient_mse (no factor 2) also fails convergence": ("""
def gradient_mse(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / len(y), np.mean(r)

def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b)
        w, b = w - lr * dw, b - lr * db
    return w, b
""", "fit_linear_gd_converge", "係数 2"),
    "fit returns b as a 1-element array": (GRADIENT + """
def fit_linear_gd(X, y, lr, n_iters):
    w, b = np.zeros(X.shape[1]), np.zeros(1)
    for _ in range(n_iters):
        dw, db = gradient_mse(X, y, w, b[0])
        w, b = w - lr * dw, b - lr * db
    return w, b
""", "fit_linear_gd_steps", "b はスカラー"),
    "fit taken from scikit-learn": ("""
from sklearn.linear_model import LinearRegression

def fit_linear_gd(X, y, lr, n_iters):
    m = LinearRegression().fit(X, y)
    return m.coef_, m.intercept_
""", "fit_linear_gd_steps", "n_iters = 0"),
}

STUB = """
def standardize(X_train, X_test):
    raise NotImplementedError()

def predict_linear(X, w, b):
    raise NotImplementedError()

def mean_squared_error(y, y_pred):
    raise NotImplementedError()

def gradient_mse(X, y, w, b):
    raise NotImplementedError()

def fit_linear_gd(X, y, lr, n_iters):
    raise NotImplementedError()
"""

ALL = sorted(CORRECT)


@pytest.mark.parametrize("grade_id,name", CASES_CORRECT)
def test_correct_variants_pass(judge_code, grade_id, name):
    passed, message = judge_code(NB, grade_id, CORRECT[grade_id][name])
    assert passed, message


@pytest.mark.parametrize("name", sorted(WRONG))
def test_typical_mistakes_fail_with_a_hint(judge_code, name):
    code, grade_id, expected_words = WRONG[name]
    passed, message = judge_code(NB, grade_id, code)
    assert not passed
    assert expected_words in message, message


def test_every_test_cell_of_the_notebook_has_a_check():
    from autograder.checks import registry
    from autograder.notebook_cells import grade_id, is_test_cell

    nb = nbformat.read(SOURCE, as_version=4)
    cells = sorted(grade_id(c) for c in nb.cells if is_test_cell(c))
    assert cells == ALL == sorted(registry()[NB])


def test_answer_notebook_functions_pass_every_check(judge_code):
    """The solutions written in the source notebook pass their hidden checks."""
    from autograder.notebook_cells import is_answer_cell

    nb = nbformat.read(SOURCE, as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if is_answer_cell(c))
    for gid in ALL:
        passed, message = judge_code(NB, gid, code)
        assert passed, message


def test_untouched_stub_fails_everywhere(judge_code):
    for grade_id in ALL:
        passed, message = judge_code(NB, grade_id, STUB)
        assert not passed and "NotImplementedError" in message, (grade_id, message)


def test_references_agree_with_scikit_learn():
    """Gradient descent on standardized data converges to the least-squares solution."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from autograder.checks.day1 import linear_regression as checks

    rng = np.random.default_rng(7)
    X_train, X_test = rng.normal(size=(200, 3)) * [1.0, 50.0, 0.01] + [5.0, -3.0, 1.0], rng.normal(size=(20, 3))
    y = X_train @ np.array([0.5, 0.02, 30.0]) + 1.0 + 0.1 * rng.normal(size=200)
    X_std, _ = checks.reference_standardize(X_train, X_test)
    w, b = checks.reference_fit_linear_gd(X_std, y, 0.1, 1000)
    model = LinearRegression().fit(X_std, y)
    np.testing.assert_allclose(w, model.coef_, rtol=1e-8, atol=1e-10)
    assert abs(b - model.intercept_) < 1e-10
    mse = checks.reference_mean_squared_error(y, checks.reference_predict_linear(X_std, w, b))
    assert mse == pytest.approx(np.mean((model.predict(X_std) - y) ** 2), rel=1e-10)
