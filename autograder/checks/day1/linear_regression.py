"""Hidden checks of 1_5_linear_regression: standardization, the linear model, MSE, its
gradient and full-batch gradient descent (numpy), compared with scikit-learn in the notebook.

Conventions stated in the notebook and tested here:
- ``standardize(X_train, X_test)`` returns the tuple ``(X_train_std, X_test_std)``; both use the
  mean and the standard deviation (``ddof=0``, numpy's default) of ``X_train`` per column.
- ``predict_linear(X, w, b)`` = ``X @ w + b``, shape ``(N,)``.
- ``mean_squared_error(y, y_pred)`` = ``mean((y_pred - y) ** 2)``, a scalar.
- ``gradient_mse(X, y, w, b)`` returns ``(dw, db)`` of ``L = mean((X @ w + b - y) ** 2)``, with the
  factor 2 included: ``dw = 2 / N * X.T @ r``, ``db = 2 / N * sum(r)``, ``r = X @ w + b - y``.
- ``fit_linear_gd(X, y, lr, n_iters)`` starts from ``w = zeros(D)``, ``b = 0.0`` and makes
  ``n_iters`` simultaneous updates ``w -= lr * dw``, ``b -= lr * db``; returns ``(w, b)``.
"""

import numpy as np

from course.checking import Case, FunctionCheck, Mistake

NOTEBOOK = "1_5_linear_regression"


# ---------------------------------------------------------------- references

def reference_standardize(X_train, X_test):
    X_train = np.asarray(X_train, dtype=np.float64)
    X_test = np.asarray(X_test, dtype=np.float64)
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def reference_predict_linear(X, w, b):
    return np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + float(b)


def reference_mean_squared_error(y, y_pred):
    diff = np.asarray(y_pred, dtype=np.float64) - np.asarray(y, dtype=np.float64)
    return float(np.mean(diff ** 2))


def reference_gradient_mse(X, y, w, b):
    X = np.asarray(X, dtype=np.float64)
    r = X @ np.asarray(w, dtype=np.float64) + float(b) - np.asarray(y, dtype=np.float64)
    n = X.shape[0]
    return 2.0 / n * (X.T @ r), float(2.0 / n * np.sum(r))


def reference_fit_linear_gd(X, y, lr, n_iters):
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(n_iters):
        dw, db = reference_gradient_mse(X, y, w, b)
        w = w - lr * dw
        b = b - lr * db
    return w, b


# ---------------------------------------------------------------- typical mistakes

def _std_test_stats(X_train, X_test):
    return ((X_train - X_train.mean(axis=0)) / X_train.std(axis=0),
            (X_test - X_test.mean(axis=0)) / X_test.std(axis=0))


def _std_ddof1(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    return (X_train - mean) / std, (X_test - mean) / std


def _std_combined(X_train, X_test):
    both = np.concatenate([X_train, X_test])
    mean, std = both.mean(axis=0), both.std(axis=0)
    return (X_train - mean) / std, (X_test - mean) / std


def _std_global(X_train, X_test):
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std


def _std_rows(X_train, X_test):
    def rows(X):
        return (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    return rows(X_train), rows(X_test)


def _std_center_only(X_train, X_test):
    mean = X_train.mean(axis=0)
    return X_train - mean, X_test - mean


def _std_minmax(X_train, X_test):
    lo, hi = X_train.min(axis=0), X_train.max(axis=0)
    return (X_train - lo) / (hi - lo), (X_test - lo) / (hi - lo)


STANDARDIZE_MISTAKES = [
    Mistake("テストデータをテストデータ自身の平均・標準偏差で標準化しています。テストデータにも"
            "「訓練データの」平均と標準偏差を使ってください（テストデータは学習時には見えないデータです）。",
            _std_test_stats),
    Mistake("標準偏差を ddof=1（不偏標準偏差）で計算しています。このノートブックでは np.std の既定値 ddof=0 を使います。",
            _std_ddof1),
    Mistake("訓練データとテストデータを合わせた平均・標準偏差を使っています。統計量は訓練データだけから計算してください。",
            _std_combined),
    Mistake("配列全体の平均・標準偏差を使っています。特徴量（列）ごとに axis=0 で計算してください。", _std_global),
    Mistake("行ごと（axis=1）に標準化しています。1 行 = 1 サンプルなので、列ごと（axis=0）に計算します。", _std_rows),
    Mistake("平均を引いただけで、標準偏差で割っていません。", _std_center_only),
    Mistake("最小値・最大値による正規化 (min-max) になっています。標準化は (x - 平均) / 標準偏差 です。", _std_minmax),
]


def _predict_no_bias(X, w, b):
    return X @ w


def _predict_minus_bias(X, w, b):
    return X @ w - b


PREDICT_MISTAKES = [
    Mistake("バイアス b を足し忘れています。", _predict_no_bias),
    Mistake("バイアス b を引いています。y = Xw + b です。", _predict_minus_bias),
    Mistake("形状 (N, 1) の縦ベクトルを返しています。w は形状 (D,) のまま X @ w とすると、形状 (N,) になります。",
            lambda X, w, b: X @ w[:, None] + b),
]


def _mse_sum(y, y_pred):
    return float(np.sum((y_pred - y) ** 2))


def _mse_sqrt(y, y_pred):
    return float(np.sqrt(np.mean((y_pred - y) ** 2)))


def _mse_half(y, y_pred):
    return float(0.5 * np.mean((y_pred - y) ** 2))


def _mse_abs(y, y_pred):
    return float(np.mean(np.abs(y_pred - y)))


def _mse_square_of_mean(y, y_pred):
    return float(np.mean(y_pred - y) ** 2)


MSE_MISTAKES = [
    Mistake("2 乗誤差を合計しています。サンプル数 N で割って平均にしてください（np.mean）。", _mse_sum),
    Mistake("平方根をとっています（それは RMSE です）。MSE は平方根をとりません。", _mse_sqrt),
    Mistake("0.5 を掛けています。ここでの MSE は 0.5 を掛けない mean((y_pred - y)**2) です。", _mse_half),
    Mistake("絶対値の平均（MAE）になっています。差を 2 乗してください。", _mse_abs),
    Mistake("差の平均を 2 乗しています。先に各要素の差を 2 乗してから平均します。", _mse_square_of_mean),
    Mistake("要素ごとの 2 乗誤差を配列のまま返しています。平均をとって 1 つの数（スカラー）にしてください。",
            lambda y, y_pred: (y_pred - y) ** 2),
]


def _residual(X, y, w, b):
    return X @ w + b - y


def _grad_no_two(X, y, w, b):
    r = _residual(X, y, w, b)
    return X.T @ r / len(y), float(np.mean(r))


def _grad_sum(X, y, w, b):
    r = _residual(X, y, w, b)
    return 2 * X.T @ r, float(2 * np.sum(r))


def _grad_sign(X, y, w, b):
    r = y - (X @ w + b)
    return 2 / len(y) * X.T @ r, float(2 * np.mean(r))


def _grad_no_db(X, y, w, b):
    r = _residual(X, y, w, b)
    return 2 / len(y) * X.T @ r, 0.0


def _grad_db_like_dw(X, y, w, b):
    r = _residual(X, y, w, b)
    return 2 / len(y) * X.T @ r, float(2 * np.mean(r * X.sum(axis=1)))


GRADIENT_MISTAKES = [
    Mistake("係数 2 が抜けています。(u^2)' = 2u なので、dw = 2/N · Xᵀ(Xw + b − y)、db = 2/N · Σ(Xw + b − y) です。",
            _grad_no_two),
    Mistake("N で割っていません。損失は平均なので、勾配もサンプル数 N で割ります。", _grad_sum),
    Mistake("符号が逆です。残差は r = (Xw + b) − y（予測 − 正解）です。", _grad_sign),
    Mistake("db を計算していません（0 になっています）。db = 2/N · Σ r です。", _grad_no_db),
    Mistake("db に X を掛けています。b は全サンプルに同じように足されるので、db = 2/N · Σ r（X は掛けない）です。",
            _grad_db_like_dw),
    Mistake("db がサンプルごとの配列のままです。全サンプルについて合計して 1 つの数（スカラー）にしてください。",
            lambda X, y, w, b: (2 / len(y) * X.T @ _residual(X, y, w, b), 2 / len(y) * _residual(X, y, w, b))),
]


def _gd(X, y, lr, n_iters, *, sign=1.0, two=2.0, sequential=False, update_b=True, w0=0.0, extra=0):
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    w = np.full(X.shape[1], w0, dtype=np.float64)
    b = 0.0
    for _ in range(n_iters + extra):
        r = X @ w + b - y
        dw = two / n * (X.T @ r)
        if sequential:
            w = w - sign * lr * dw
            r = X @ w + b - y
            db = two / n * np.sum(r)
        else:
            db = two / n * np.sum(r)
            w = w - sign * lr * dw
        if update_b:
            b = b - sign * lr * db
    return w, float(b)


def _fit_initial(X, y, lr, n_iters):
    return np.zeros(X.shape[1]), 0.0


FIT_MISTAKES = [
    Mistake("初期値の w = 0, b = 0 をそのまま返しています。ループの中で w と b を更新しているか確認してください"
            "（w - lr * dw を計算しただけで代入していない、など）。", _fit_initial),
    Mistake("更新の符号が逆です。勾配降下法では勾配と逆向きに進むので w = w - lr * dw です。",
            lambda X, y, lr, n: _gd(X, y, lr, n, sign=-1.0)),
    Mistake("w を更新してから、新しい w で db を計算しています。dw と db は同じ (w, b) で計算してから、"
            "両方を同時に更新してください。", lambda X, y, lr, n: _gd(X, y, lr, n, sequential=True)),
    Mistake("勾配の係数 2 が抜けています（学習率が半分になったのと同じ）。gradient_mse の定義どおり 2 を含めてください。",
            lambda X, y, lr, n: _gd(X, y, lr, n, two=1.0)),
    Mistake("バイアス b を更新していません。", lambda X, y, lr, n: _gd(X, y, lr, n, update_b=False)),
    Mistake("初期値が w = 0 になっていません（1 で初期化しているようです）。w = np.zeros(D), b = 0.0 から始めます。",
            lambda X, y, lr, n: _gd(X, y, lr, n, w0=1.0)),
    Mistake("更新の回数が 1 回多くなっています。for _ in range(n_iters) で n_iters 回だけ更新してください。",
            lambda X, y, lr, n: _gd(X, y, lr, n, extra=1)),
    Mistake("更新の回数が 1 回少なくなっています。for _ in range(n_iters) で n_iters 回だけ更新してください。",
            lambda X, y, lr, n: _gd(X, y, lr, n, extra=-1)),
    Mistake("b を要素 1 個の配列で返しています。b はスカラー（float）で返してください（b = 0.0 から始める）。",
            lambda X, y, lr, n: (lambda wb: (wb[0], np.array([wb[1]])))(_gd(X, y, lr, n))),
]


# ---------------------------------------------------------------- inputs

rng = np.random.default_rng(1500)

_X_shift_train = rng.normal(size=(8, 3)) * np.array([1.0, 10.0, 100.0]) + np.array([0.0, 5.0, -50.0])
_X_shift_test = rng.normal(size=(5, 3)) * np.array([2.0, 5.0, 30.0]) + np.array([3.0, 40.0, 100.0])
_X_one_col_train = rng.uniform(0.0, 10.0, size=(6, 1))
_X_one_col_test = rng.uniform(-5.0, 15.0, size=(3, 1))
_X_row_train = rng.normal(size=(6, 3)) * 4.0 + 1.0
_X_row_test = rng.normal(size=(1, 3))

_X_pred = rng.normal(size=(10, 5))
_w_pred = rng.normal(size=5)

_y_mse = rng.normal(size=20) * 3.0
_p_mse = _y_mse + rng.normal(size=20)

_X_grad = rng.normal(size=(8, 3))
_y_grad = rng.normal(size=8)
_w_grad = rng.normal(size=3)
_X_grad_one = rng.normal(size=(1, 4))
_w_grad_one = rng.normal(size=4)

_w_true = np.array([1.5, -2.0, 0.5])
_X_fit = rng.normal(size=(50, 3))
_y_fit = _X_fit @ _w_true + 0.7 + 0.1 * rng.normal(size=50)
_X_fit_small = rng.normal(size=(5, 2))
_y_fit_small = rng.normal(size=5) + 2.0
_x_fit_one = rng.uniform(-2.0, 2.0, size=(12, 1))
_y_fit_one = 3.0 * _x_fit_one[:, 0] - 1.0
_X_fit_scaled = rng.normal(size=(30, 4)) * np.array([1.0, 0.5, 2.0, 1.0])
_y_fit_scaled = _X_fit_scaled @ np.array([0.3, -1.0, 0.2, 2.0]) - 4.0

CHECKS = {
    "standardize_values": [FunctionCheck(
        function="standardize", reference=reference_standardize, mistakes=STANDARDIZE_MISTAKES,
        rtol=1e-7, atol=1e-10, dtype="float",
        visible=[
            Case("3×2 の小さな例（テストデータは 2 行）",
                 (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([[0.0, 0.0], [7.0, 8.0]]))),
            Case("特徴量が 1 列だけ（4×1 / 2×1）", (np.array([[0.0], [2.0], [4.0], [6.0]]), np.array([[3.0], [10.0]]))),
        ],
        cases=[
            Case("3×2 の小さな例（テストデータは 2 行）",
                 (np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([[0.0, 0.0], [7.0, 8.0]]))),
            Case("列ごとにスケールが違い、テストデータの分布がずれている 8×3 / 5×3",
                 (_X_shift_train, _X_shift_test)),
            Case("特徴量が 1 列だけ（6×1 / 3×1）", (_X_one_col_train, _X_one_col_test)),
            Case("テストデータが 1 行だけ（6×3 / 1×3）", (_X_row_train, _X_row_test)),
        ])],
    "predict_linear_values": [FunctionCheck(
        function="predict_linear", reference=reference_predict_linear, mistakes=PREDICT_MISTAKES,
        rtol=1e-7, atol=1e-10, dtype="float", returns="array",
        visible=[
            Case("4×2 の X、w = [2, -1]、b = 0.5",
                 (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 3.0]]), np.array([2.0, -1.0]), 0.5)),
            Case("w がすべて 0（予測はすべて b）", (np.ones((3, 4)), np.zeros(4), -1.5)),
            Case("サンプルが 1 つ（1×3）", (np.array([[1.0, -2.0, 0.5]]), np.array([0.5, 0.25, 2.0]), 1.0)),
        ],
        cases=[
            Case("4×2 の X、w = [2, -1]、b = 0.5",
                 (np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, 3.0]]), np.array([2.0, -1.0]), 0.5)),
            Case("特徴量 1 つ、バイアス 0（y = 3x）", (np.array([[-1.0], [0.0], [2.0]]), np.array([3.0]), 0.0)),
            Case("w がすべて 0（予測はすべて b になるはず）", (np.ones((3, 4)), np.zeros(4), -1.5)),
            Case("サンプルが 1 つ（1×5）", (_X_pred[:1], _w_pred, 0.25)),
            Case("ランダムな 10×5", (_X_pred, _w_pred, 2.0)),
        ])],
    "mse_values": [FunctionCheck(
        function="mean_squared_error", reference=reference_mean_squared_error, mistakes=MSE_MISTAKES,
        rtol=1e-7, atol=1e-12, dtype="float",
        visible=[
            Case("予測が正解と完全に一致", (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))),
            Case("1 か所だけ 3 ずれている（4 要素）", (np.zeros(4), np.array([0.0, 3.0, 0.0, 0.0]))),
            Case("ずれが正と負で打ち消し合う例", (np.array([0.0, 0.0]), np.array([1.0, -1.0]))),
        ],
        cases=[
            Case("予測が正解と完全に一致（0 になるはず）", (np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0]))),
            Case("1 か所だけ 3 ずれている（4 要素）", (np.zeros(4), np.array([0.0, 3.0, 0.0, 0.0]))),
            Case("ずれが正と負で打ち消し合う例", (np.array([0.0, 0.0]), np.array([1.0, -1.0]))),
            Case("ランダムな 20 要素", (_y_mse, _p_mse)),
            Case("要素 1 個", (np.array([2.5]), np.array([1.0]))),
        ])],
    "gradient_mse_values": [FunctionCheck(
        function="gradient_mse", reference=reference_gradient_mse, mistakes=GRADIENT_MISTAKES,
        rtol=1e-7, atol=1e-10, dtype="float",
        visible=[
            Case("特徴量 1 つ、w = 0、b = 0（y = 2x のデータ）",
                 (np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 6.0]), np.array([0.0]), 0.0)),
            Case("X がすべて 0（dw = 0 で、db だけが残る）",
                 (np.zeros((4, 2)), np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.7, -0.3]), 1.0)),
            Case("2×2 の X、w = [1, -1]、b = 0.5",
                 (np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([1.0, 0.0]), np.array([1.0, -1.0]), 0.5)),
        ],
        cases=[
            Case("特徴量 1 つ、w = 0、b = 0（y = 2x のデータ）",
                 (np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 6.0]), np.array([0.0]), 0.0)),
            Case("予測が完全に一致（勾配は 0 になるはず）",
                 (np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 1.0]]), np.array([3.5, 2.5, 1.5]), np.array([1.0, 1.0]), 0.5)),
            Case("X がすべて 0（dw = 0 で、db だけが残るはず）",
                 (np.zeros((4, 2)), np.array([1.0, -2.0, 0.5, 3.0]), np.array([0.7, -0.3]), 1.0)),
            Case("ランダムな 8×3", (_X_grad, _y_grad, _w_grad, -0.4)),
            Case("サンプルが 1 つ（1×4）", (_X_grad_one, np.array([1.0]), _w_grad_one, 0.3)),
        ])],
    "fit_linear_gd_steps": [FunctionCheck(
        function="fit_linear_gd", reference=reference_fit_linear_gd, mistakes=FIT_MISTAKES,
        rtol=1e-7, atol=1e-10, dtype="float",
        visible=[
            Case("n_iters = 0（初期値がそのまま返る）", (np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, 2.0]), 0.1, 0)),
            Case("特徴量 1 つ、1 回だけ更新（lr = 0.1）", (np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 6.0]), 0.1, 1)),
            Case("特徴量 2 つ、2 回更新（lr = 0.05）",
                 (np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]), np.array([1.0, -1.0, 2.0]), 0.05, 2)),
        ],
        cases=[
            Case("n_iters = 0（初期値 w = 0, b = 0.0 がそのまま返るはず）", (_X_fit_small, _y_fit_small, 0.1, 0)),
            Case("1 回だけ更新（lr = 0.1）", (_X_fit_small, _y_fit_small, 0.1, 1)),
            Case("3 回更新（lr = 0.05）", (_X_fit_small, _y_fit_small, 0.05, 3)),
            Case("特徴量 1 つ、2 回更新（lr = 0.1）", (_x_fit_one, _y_fit_one, 0.1, 2)),
        ])],
    "fit_linear_gd_converge": [FunctionCheck(
        function="fit_linear_gd", reference=reference_fit_linear_gd, mistakes=FIT_MISTAKES,
        rtol=1e-6, atol=1e-9, dtype="float",
        visible=[
            Case("y = 2x + 1 のデータ、lr = 0.1 で 1000 回",
                 (np.array([[-1.0], [0.0], [1.0], [2.0]]), np.array([-1.0, 1.0, 3.0, 5.0]), 0.1, 1000)),
            Case("y = 2x + 1 のデータ、lr = 0.01 で 30 回（まだ収束途中）",
                 (np.array([[-1.0], [0.0], [1.0], [2.0]]), np.array([-1.0, 1.0, 3.0, 5.0]), 0.01, 30)),
        ],
        cases=[
            Case("50×3 のデータ、lr = 0.1 で 300 回（ほぼ収束する）", (_X_fit, _y_fit, 0.1, 300)),
            Case("特徴量 1 つ（y = 3x − 1）、lr = 0.05 で 200 回", (_x_fit_one, _y_fit_one, 0.05, 200)),
            Case("30×4 のデータ、lr = 0.01 で 50 回（まだ収束途中）", (_X_fit_scaled, _y_fit_scaled, 0.01, 50)),
        ])],
}
