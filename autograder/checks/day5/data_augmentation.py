"""Hidden checks of 5_5_data_augmentation: shift, flip, rotation, scaling, elastic distortion and noise.

Conventions stated in the notebook and tested here:
- ``images``: a uint8 array (N, H, W) (0 = background, 255 = ink; 28×28 in the course, any H, W allowed);
  every function returns a NEW uint8 array of the same shape and never modifies ``images``.
- Random functions take ``rng`` (a ``numpy.random.Generator``) and draw from it exactly once, in the
  stated form; nothing is drawn from ``np.random.*``.
- ``shift_images(images, rng, max_shift=2)``: ``shifts = rng.integers(-max_shift, max_shift + 1, size=(N, 2))``,
  ``shifts[i] = (dy, dx)``: image i moves dy pixels down and dx pixels right; uncovered pixels are 0.
- ``flip_horizontal(images)``: left and right exchanged (``images[:, :, ::-1]``), as a new array.
- ``rotate_images(images, rng, max_angle=15.0)``: ``angles = rng.uniform(-max_angle, max_angle, size=N)``
  degrees, positive = counter-clockwise as shown by imshow; about the centre ((H-1)/2, (W-1)/2); inverse
  mapping src_x = cx + (x-cx)cosθ - (y-cy)sinθ, src_y = cy + (x-cx)sinθ + (y-cy)cosθ, sampled with the
  notebook's ``bilinear_sample`` (outside = 0, rounded to uint8).
- ``scale_images(images, rng, min_scale=0.8, max_scale=1.2)``: ``scales = rng.uniform(min_scale, max_scale, size=N)``,
  s > 1 enlarges; src = c + (p - c) / s, sampled with ``bilinear_sample``.
- ``elastic_distort(images, rng, alpha=34.0, sigma=4.0)``: ``u = rng.uniform(-1, 1, size=(2, N, H, W))``,
  ``dy = alpha * gaussian_filter(u[0], sigma=(0, sigma, sigma))``, ``dx`` likewise from ``u[1]``
  (scipy.ndimage.gaussian_filter, default mode "reflect"); src = (y + dy, x + dx), ``bilinear_sample``.
- ``add_gaussian_noise(images, rng, sigma=20.0)``: ``noise = rng.normal(0.0, sigma, size=images.shape)``,
  result ``np.clip(np.rint(images + noise), 0, 255).astype(np.uint8)`` (computed in float).
Values are compared with atol = 1 (one grey level): two correct programs may round a value that lies
exactly halfway between two grey levels differently.
"""

import numpy as np
from scipy import ndimage

from course.checking import Case, FunctionCheck, Mistake
from course.katakana import load_katakana
from course.probe import GLOBAL_SEED, Seeded

NOTEBOOK = "5_5_data_augmentation"


# --------------------------------------------------------------------------- references
def bilinear_sample(images, src_y, src_x):
    """The notebook's helper: bilinear interpolation at (src_y, src_x), 0 outside, rounded to uint8."""
    x = np.asarray(images, dtype=np.float64)
    n, h, w = x.shape
    y0, x0 = np.floor(src_y).astype(np.int64), np.floor(src_x).astype(np.int64)
    fy, fx = src_y - y0, src_x - x0
    idx = np.arange(n)[:, None, None]

    def pixel(yy, xx):
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        return np.where(inside, x[idx, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], 0.0)

    out = ((1 - fy) * (1 - fx) * pixel(y0, x0) + (1 - fy) * fx * pixel(y0, x0 + 1)
           + fy * (1 - fx) * pixel(y0 + 1, x0) + fy * fx * pixel(y0 + 1, x0 + 1))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _grid(images):
    n, h, w = images.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.broadcast_to(yy, (n, h, w)), np.broadcast_to(xx, (n, h, w)), (h - 1) / 2, (w - 1) / 2


def _shift_by(images, shifts):
    out = np.zeros_like(images)
    n, h, w = images.shape
    for i, (dy, dx) in enumerate(shifts):
        dy, dx = int(dy), int(dx)
        src = images[i, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        out[i, max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def reference_shift_images(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return _shift_by(images, shifts)


def reference_flip_horizontal(images):
    return images[:, :, ::-1].copy()


def _rotate_by(images, angles_deg, centred=True, sign=1.0):
    yy, xx, cy, cx = _grid(images)
    if not centred:
        cy = cx = 0.0
    theta = sign * np.asarray(angles_deg, dtype=np.float64)[:, None, None]
    cos, sin = np.cos(np.deg2rad(theta)), np.sin(np.deg2rad(theta))
    src_x = cx + (xx - cx) * cos - (yy - cy) * sin
    src_y = cy + (xx - cx) * sin + (yy - cy) * cos
    return bilinear_sample(images, src_y, src_x)


def reference_rotate_images(images, rng, max_angle=15.0):
    return _rotate_by(images, rng.uniform(-max_angle, max_angle, size=len(images)))


def _scale_by(images, scales, centred=True, invert=True):
    yy, xx, cy, cx = _grid(images)
    if not centred:
        cy = cx = 0.0
    s = np.asarray(scales, dtype=np.float64)[:, None, None]
    f = 1.0 / s if invert else s
    return bilinear_sample(images, cy + (yy - cy) * f, cx + (xx - cx) * f)


def reference_scale_images(images, rng, min_scale=0.8, max_scale=1.2):
    return _scale_by(images, rng.uniform(min_scale, max_scale, size=len(images)))


def _elastic(images, u, alpha, sigma, smooth=True, fields=(0, 1)):
    yy, xx, _, _ = _grid(images)
    if smooth:
        dy = alpha * ndimage.gaussian_filter(u[fields[0]], sigma=(0, sigma, sigma))
        dx = alpha * ndimage.gaussian_filter(u[fields[1]], sigma=(0, sigma, sigma))
    else:
        dy, dx = alpha * u[fields[0]], alpha * u[fields[1]]
    return bilinear_sample(images, yy + dy, xx + dx)


def reference_elastic_distort(images, rng, alpha=34.0, sigma=4.0):
    n, h, w = images.shape
    return _elastic(images, rng.uniform(-1.0, 1.0, size=(2, n, h, w)), alpha, sigma)


def reference_add_gaussian_noise(images, rng, sigma=20.0):
    noise = rng.normal(0.0, sigma, size=images.shape)
    return np.clip(np.rint(images + noise), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- typical mistakes
def _global(fn):
    """Runs ``fn`` with numpy's global random state seeded like the probe does (the student's call
    runs with ``np.random.seed(GLOBAL_SEED)``), so code that draws from ``np.random.*`` is recognised."""
    def wrapped(*args, **kwargs):
        saved = np.random.get_state()
        np.random.seed(GLOBAL_SEED)
        try:
            return fn(*args, **kwargs)
        finally:
            np.random.set_state(saved)
    return wrapped


GLOBAL_HINT = ("rng ではなく numpy 全体の乱数（np.random.{name} など）から乱数を引いています。"
               "乱数は引数の rng（Generator）から rng.{method}(...) で引きます。そうしないと同じ rng から同じ結果を"
               "再現できません。")


def _roll_shift(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return np.stack([np.roll(im, (int(dy), int(dx)), axis=(0, 1)) for im, (dy, dx) in zip(images, shifts)])


SHIFT_MISTAKES = [
    Mistake("ずらす向きが逆です。shifts[i] = (dy, dx) のとき、画素 (y, x) の値は (y + dy, x + dx) に移ります"
            "（dy > 0 で下へ、dx > 0 で右へ）。",
            lambda images, rng, max_shift=2: _shift_by(images, -rng.integers(-max_shift, max_shift + 1,
                                                                              size=(len(images), 2)))),
    Mistake("dy と dx が入れ替わっています。shifts[i] の 0 番目が縦（下向き）の移動量 dy、1 番目が横（右向き）の"
            "移動量 dx です。",
            lambda images, rng, max_shift=2: _shift_by(images, rng.integers(-max_shift, max_shift + 1,
                                                                             size=(len(images), 2))[:, ::-1])),
    Mistake("np.roll を使っているため、はみ出した画素が反対側から戻ってきています。空いた画素は 0（背景）で埋めます。",
            _roll_shift),
    Mistake("rng.integers の上限は含まれません。-max_shift から max_shift まで（両端を含む）を引くには "
            "rng.integers(-max_shift, max_shift + 1, size=(N, 2)) です。",
            lambda images, rng, max_shift=2: _shift_by(images, rng.integers(-max_shift, max_shift,
                                                                             size=(len(images), 2)))),
    Mistake(GLOBAL_HINT.format(name="randint", method="integers"),
            _global(lambda images, rng, max_shift=2: _shift_by(
                images, np.random.randint(-max_shift, max_shift + 1, size=(len(images), 2))))),
]
FLIP_MISTAKES = [
    Mistake("上下を反転しています。左右反転は横（最後の軸、x）の向きを逆にします: images[:, :, ::-1]。",
            lambda images: images[:, ::-1, :].copy()),
    Mistake("画像の順番（0 番目の軸）を逆にしています。反転するのは各画像の横の軸（最後の軸）です。",
            lambda images: images[::-1].copy()),
    Mistake("左右反転ではなく転置（または 90 度回転）になっています。images[:, :, ::-1] で横の向きだけを逆にします。",
            lambda images: np.ascontiguousarray(np.transpose(images, (0, 2, 1)))),
]
ROTATE_MISTAKES = [
    Mistake("画像の中心ではなく左上の角（原点）を中心に回転しています。中心 cy = (H - 1) / 2, cx = (W - 1) / 2 を"
            "引いてから回し、足し戻します。",
            lambda images, rng, max_angle=15.0: _rotate_by(images, rng.uniform(-max_angle, max_angle, len(images)),
                                                           centred=False)),
    Mistake("回転の向きが逆です。角度が正のとき（imshow で見て）反時計回りです。出力の画素 (y, x) の値を取りに行く"
            "入力の位置は src_x = cx + (x-cx)cosθ - (y-cy)sinθ, src_y = cy + (x-cx)sinθ + (y-cy)cosθ です。",
            lambda images, rng, max_angle=15.0: _rotate_by(images, rng.uniform(-max_angle, max_angle, len(images)),
                                                           sign=-1.0)),
    Mistake("角度を度のまま np.cos / np.sin に渡しています。np.deg2rad（または × π / 180）でラジアンに直します。",
            lambda images, rng, max_angle=15.0: _rotate_by(
                images, np.rad2deg(rng.uniform(-max_angle, max_angle, len(images))))),
    Mistake(GLOBAL_HINT.format(name="uniform", method="uniform"),
            _global(lambda images, rng, max_angle=15.0: _rotate_by(
                images, np.random.uniform(-max_angle, max_angle, size=len(images))))),
]
SCALE_MISTAKES = [
    Mistake("拡大と縮小が逆です。出力の画素から入力の位置を求める（逆写像）ので、s 倍に拡大するには"
            "中心からの距離を s で割ります: src = c + (p - c) / s。",
            lambda images, rng, min_scale=0.8, max_scale=1.2: _scale_by(
                images, rng.uniform(min_scale, max_scale, len(images)), invert=False)),
    Mistake("画像の中心ではなく左上の角を中心に拡大・縮小しています。中心 c = ((H - 1) / 2, (W - 1) / 2) からの距離を"
            "s で割ります。",
            lambda images, rng, min_scale=0.8, max_scale=1.2: _scale_by(
                images, rng.uniform(min_scale, max_scale, len(images)), centred=False)),
    Mistake(GLOBAL_HINT.format(name="uniform", method="uniform"),
            _global(lambda images, rng, min_scale=0.8, max_scale=1.2: _scale_by(
                images, np.random.uniform(min_scale, max_scale, size=len(images))))),
]


def _elastic_mistake(**options):
    def wrong(images, rng, alpha=34.0, sigma=4.0):
        n, h, w = images.shape
        return _elastic(images, rng.uniform(-1.0, 1.0, size=(2, n, h, w)), alpha, sigma, **options)
    return wrong


ELASTIC_MISTAKES = [
    Mistake("一様乱数を平滑化していません。u をそのまま変位にすると画素ごとにばらばらに動き、ノイズのような画像に"
            "なります。gaussian_filter(u[0], sigma=(0, sigma, sigma)) で滑らかにしてから alpha 倍します。",
            _elastic_mistake(smooth=False)),
    Mistake("縦と横の変位に同じ乱数を使っています。dy は u[0] から、dx は u[1] から作ります。",
            _elastic_mistake(fields=(0, 0))),
    Mistake("dy と dx の乱数が逆です。u[0] から縦の変位 dy、u[1] から横の変位 dx を作ります。",
            _elastic_mistake(fields=(1, 0))),
    Mistake("alpha を掛けていません。平滑化した変位はとても小さいので、alpha 倍して画素単位の変位にします。",
            lambda images, rng, alpha=34.0, sigma=4.0: _elastic(
                images, rng.uniform(-1.0, 1.0, size=(2,) + images.shape), 1.0, sigma)),
    Mistake(GLOBAL_HINT.format(name="uniform", method="uniform"),
            _global(lambda images, rng, alpha=34.0, sigma=4.0: _elastic(
                images, np.random.uniform(-1.0, 1.0, size=(2,) + images.shape), alpha, sigma))),
]
NOISE_MISTAKES = [
    Mistake("0〜255 に収めずに uint8 に変換しているため、255 を超えた値や負の値が折り返して（256 で割った余りになって）"
            "います。np.clip(..., 0, 255) してから astype(np.uint8) します。",
            lambda images, rng, sigma=20.0: np.rint(images + rng.normal(0.0, sigma, size=images.shape)).astype(
                np.int64).astype(np.uint8)),
    Mistake("float のまま返しています。入力と同じ uint8（0〜255 の整数）に戻してから返します: "
            "np.clip(np.rint(...), 0, 255).astype(np.uint8)。",
            lambda images, rng, sigma=20.0: images + rng.normal(0.0, sigma, size=images.shape)),
    Mistake("0〜1 の範囲の float で返しています。このノートブックの画像は 0〜255 の uint8 で、出力も同じ形式です。",
            lambda images, rng, sigma=20.0: np.clip(np.rint(images + rng.normal(0.0, sigma, size=images.shape)),
                                                    0, 255) / 255.0),
    Mistake(GLOBAL_HINT.format(name="normal", method="normal"),
            _global(lambda images, rng, sigma=20.0: np.clip(
                np.rint(images + np.random.normal(0.0, sigma, size=images.shape)), 0, 255).astype(np.uint8))),
]

# --------------------------------------------------------------------------- inputs
_x, _t = load_katakana()
_first = [int(np.flatnonzero(_t == c)[0]) for c in range(15)]
kata_v = _x[_first[:3]]  # ア イ ウ (visible)
kata_h = _x[_first[5:9]]  # カ キ ク ケ (hidden)
kata_one = _x[_first[12]:_first[12] + 1]  # ス


def _dot(h, w, y, x, n=1, value=255):
    out = np.zeros((n, h, w), dtype=np.uint8)
    out[:, y, x] = value
    return out


_rng = np.random.default_rng(5500)
small = _rng.integers(0, 256, size=(3, 6, 9)).astype(np.uint8)  # non-square
tall = _rng.integers(0, 256, size=(2, 9, 5)).astype(np.uint8)
bright = np.full((2, 7, 7), 250, dtype=np.uint8)
dark = np.full((2, 7, 7), 3, dtype=np.uint8)
v_dot = _dot(5, 7, 1, 2)  # one ink pixel in a 5×7 image
v_small = np.arange(2 * 4 * 6, dtype=np.uint8).reshape(2, 4, 6) * 5
v_bright = np.full((1, 5, 5), 245, dtype=np.uint8)


def _check(function, reference, visible, cases, mistakes):
    return FunctionCheck(function=function, reference=reference, dtype="int", returns="array", rtol=0.0, atol=1.0,
                         visible=visible, cases=cases, mistakes=mistakes)


CHECKS = {
    "shift_images_values": [_check(
        "shift_images", reference_shift_images,
        [Case("インクが 1 画素だけの 5×7 の画像、max_shift = 2", (np.repeat(v_dot, 4, axis=0), Seeded(3))),
         Case("カタカナ 3 枚（ア イ ウ）、max_shift = 3", (kata_v, Seeded(0), 3))],
        [Case("インクが 1 画素だけの 9×5 の画像 6 枚、max_shift = 3", (_dot(9, 5, 4, 1, n=6), Seeded(21), 3)),
         Case("6×9 のランダムな画像 3 枚、max_shift = 2", (small, Seeded(22))),
         Case("カタカナ 4 枚（カ キ ク ケ）、max_shift = 4", (kata_h, Seeded(23), 4)),
         Case("カタカナ 1 枚、max_shift = 1", (kata_one, Seeded(24), 1))],
        SHIFT_MISTAKES)],
    "flip_horizontal_values": [_check(
        "flip_horizontal", reference_flip_horizontal,
        [Case("インクが 1 画素だけの 5×7 の画像", (v_dot,)), Case("4×6 の画像 2 枚", (v_small,)),
         Case("カタカナ 3 枚（ア イ ウ）", (kata_v,))],
        [Case("6×9 のランダムな画像 3 枚", (small,)), Case("9×5 の画像 2 枚", (tall,)),
         Case("カタカナ 4 枚（カ キ ク ケ）", (kata_h,))],
        FLIP_MISTAKES)],
    "rotate_images_values": [_check(
        "rotate_images", reference_rotate_images,
        [Case("インクが 1 画素だけの 5×7 の画像 3 枚、max_angle = 90", (np.repeat(v_dot, 3, axis=0), Seeded(1), 90.0)),
         Case("カタカナ 3 枚（ア イ ウ）、max_angle = 15", (kata_v, Seeded(2)))],
        [Case("インクが 1 画素だけの 9×5 の画像 4 枚、max_angle = 180", (_dot(9, 5, 2, 3, n=4), Seeded(31), 180.0)),
         Case("6×9 のランダムな画像 3 枚、max_angle = 30", (small, Seeded(32), 30.0)),
         Case("カタカナ 4 枚（カ キ ク ケ）、max_angle = 20", (kata_h, Seeded(33), 20.0)),
         Case("カタカナ 1 枚、max_angle = 0（回転しない）", (kata_one, Seeded(34), 0.0))],
        ROTATE_MISTAKES)],
    "scale_images_values": [_check(
        "scale_images", reference_scale_images,
        [Case("4×6 の画像 2 枚、拡大率 1.5〜2", (v_small, Seeded(4), 1.5, 2.0)),
         Case("カタカナ 3 枚（ア イ ウ）、拡大率 0.8〜1.2", (kata_v, Seeded(5)))],
        [Case("6×9 のランダムな画像 3 枚、拡大率 0.5〜0.7（縮小）", (small, Seeded(41), 0.5, 0.7)),
         Case("9×5 の画像 2 枚、拡大率 1.2〜1.6", (tall, Seeded(42), 1.2, 1.6)),
         Case("カタカナ 4 枚（カ キ ク ケ）、拡大率 0.7〜1.3", (kata_h, Seeded(43), 0.7, 1.3))],
        SCALE_MISTAKES)],
    "elastic_distort_values": [_check(
        "elastic_distort", reference_elastic_distort,
        [Case("カタカナ 3 枚（ア イ ウ）、alpha = 34, sigma = 4", (kata_v, Seeded(6))),
         Case("4×6 の画像 2 枚、alpha = 3, sigma = 1", (v_small, Seeded(7), 3.0, 1.0))],
        [Case("カタカナ 4 枚（カ キ ク ケ）、alpha = 20, sigma = 3", (kata_h, Seeded(51), 20.0, 3.0)),
         Case("6×9 のランダムな画像 3 枚、alpha = 4, sigma = 1.5", (small, Seeded(52), 4.0, 1.5)),
         Case("カタカナ 1 枚、alpha = 34, sigma = 4", (kata_one, Seeded(53)))],
        ELASTIC_MISTAKES)],
    "add_gaussian_noise_values": [_check(
        "add_gaussian_noise", reference_add_gaussian_noise,
        [Case("4×6 の画像 2 枚、sigma = 20", (v_small, Seeded(8))),
         Case("ほぼ真っ白（245）な 5×5 の画像、sigma = 30（255 を超える値が出る）", (v_bright, Seeded(9), 30.0)),
         Case("カタカナ 3 枚（ア イ ウ）、sigma = 10", (kata_v, Seeded(10), 10.0))],
        [Case("6×9 のランダムな画像 3 枚、sigma = 15", (small, Seeded(61), 15.0)),
         Case("ほぼ白（250）な画像（255 を超える値が出る）、sigma = 20", (bright, Seeded(62))),
         Case("ほぼ黒（3）な画像（負の値が出る）、sigma = 20", (dark, Seeded(63))),
         Case("カタカナ 4 枚（カ キ ク ケ）、sigma = 25", (kata_h, Seeded(64), 25.0))],
        NOISE_MISTAKES)],
}
