"""The checks of 5_5_data_augmentation: right answers pass, typical mistakes fail with a hint (in the grader and
in the notebook's self-check: the judge_code fixture proves both)."""

import numpy as np
import pytest

NB = "5_5_data_augmentation"

# the notebook's set-up: the provided bilinear_sample helper and the gaussian_filter import
HELPER = '''
from scipy.ndimage import gaussian_filter


def bilinear_sample(images, src_y, src_x):
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
'''

SHIFT = HELPER + '''
def shift_images(images, rng, max_shift=2):
    n, h, w = images.shape
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    out = np.zeros_like(images)
    for i, (dy, dx) in enumerate(shifts):
        src = images[i, max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
        out[i, max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out
'''
SHIFT_PAD = HELPER + '''
def shift_images(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    n, h, w = images.shape
    m = max_shift
    padded = np.pad(images, ((0, 0), (m, m), (m, m)))
    out = np.empty_like(images)
    for i in range(n):
        dy, dx = shifts[i]
        out[i] = padded[i, m - dy:m - dy + h, m - dx:m - dx + w]
    return out
'''
SHIFT_ROLL_MASK = HELPER + '''
def shift_images(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    out = []
    h, w = images.shape[1:]
    y, x = np.indices((h, w))
    for image, (dy, dx) in zip(images, shifts):
        moved = np.roll(image, (dy, dx), axis=(0, 1))
        valid = (y - dy >= 0) & (y - dy < h) & (x - dx >= 0) & (x - dx < w)
        out.append(np.where(valid, moved, 0).astype(np.uint8))
    return np.array(out)
'''
FLIP = HELPER + "def flip_horizontal(images):\n    return images[:, :, ::-1].copy()\n"
FLIP_NP = HELPER + "def flip_horizontal(images):\n    return np.flip(images, axis=2).copy()\n"
ROTATE = HELPER + '''
def rotate_images(images, rng, max_angle=15.0):
    n, h, w = images.shape
    theta = np.deg2rad(rng.uniform(-max_angle, max_angle, size=n))[:, None, None]
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    src_x = cx + (x - cx) * np.cos(theta) - (y - cy) * np.sin(theta)
    src_y = cy + (x - cx) * np.sin(theta) + (y - cy) * np.cos(theta)
    return bilinear_sample(images, src_y, src_x)
'''
ROTATE_MATRIX = HELPER + '''
def rotate_images(images, rng, max_angle=15.0):
    angles = rng.uniform(-max_angle, max_angle, size=len(images)) * np.pi / 180
    n, h, w = images.shape
    ys, xs = np.indices((h, w))
    offsets = np.stack([xs.ravel() - (w - 1) / 2, ys.ravel() - (h - 1) / 2])  # (2, HW): x, y
    src_y, src_x = np.empty((n, h, w)), np.empty((n, h, w))
    for i, a in enumerate(angles):
        inverse = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        sx, sy = inverse @ offsets
        src_x[i] = (sx + (w - 1) / 2).reshape(h, w)
        src_y[i] = (sy + (h - 1) / 2).reshape(h, w)
    return bilinear_sample(images, src_y, src_x)
'''
SCALE = HELPER + '''
def scale_images(images, rng, min_scale=0.8, max_scale=1.2):
    n, h, w = images.shape
    s = rng.uniform(min_scale, max_scale, size=n)[:, None, None]
    y, x = np.indices((h, w), dtype=np.float64)
    cy, cx = (h - 1) / 2, (w - 1) / 2
    return bilinear_sample(images, cy + (y - cy) / s, cx + (x - cx) / s)
'''
SCALE_LOOP = HELPER + '''
def scale_images(images, rng, min_scale=0.8, max_scale=1.2):
    scales = rng.uniform(min_scale, max_scale, size=images.shape[0])
    h, w = images.shape[1:]
    yy, xx = np.mgrid[0:h, 0:w]
    src_y = np.stack([(yy - (h - 1) / 2) * (1 / s) + (h - 1) / 2 for s in scales])
    src_x = np.stack([(xx - (w - 1) / 2) * (1 / s) + (w - 1) / 2 for s in scales])
    return bilinear_sample(images, src_y, src_x)
'''
ELASTIC = HELPER + '''
def elastic_distort(images, rng, alpha=34.0, sigma=4.0):
    n, h, w = images.shape
    u = rng.uniform(-1.0, 1.0, size=(2, n, h, w))
    dy = alpha * gaussian_filter(u[0], sigma=(0, sigma, sigma))
    dx = alpha * gaussian_filter(u[1], sigma=(0, sigma, sigma))
    y, x = np.mgrid[0:h, 0:w]
    return bilinear_sample(images, y + dy, x + dx)
'''
ELASTIC_PER_IMAGE = HELPER + '''
def elastic_distort(images, rng, alpha=34.0, sigma=4.0):
    u = rng.uniform(-1.0, 1.0, size=(2,) + images.shape)
    dy = np.stack([gaussian_filter(f, sigma) for f in u[0]]) * alpha
    dx = np.stack([gaussian_filter(f, sigma) for f in u[1]]) * alpha
    y, x = np.indices(images.shape[1:])
    return bilinear_sample(images, dy + y, dx + x)
'''
NOISE = HELPER + '''
def add_gaussian_noise(images, rng, sigma=20.0):
    noisy = images.astype(np.float64) + rng.normal(0.0, sigma, size=images.shape)
    return np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
'''
NOISE_STD = HELPER + '''
def add_gaussian_noise(images, rng, sigma=20.0):
    noise = rng.normal(0.0, sigma, images.shape)
    out = np.round(images + noise)
    out[out < 0] = 0
    out[out > 255] = 255
    return out.astype(np.uint8)
'''
CORRECT = {
    "shift_images_values": {"slices": SHIFT, "pad and crop": SHIFT_PAD, "roll with a mask": SHIFT_ROLL_MASK},
    "flip_horizontal_values": {"slice": FLIP, "np.flip": FLIP_NP},
    "rotate_images_values": {"broadcast": ROTATE, "matrix per image": ROTATE_MATRIX},
    "scale_images_values": {"broadcast": SCALE, "loop": SCALE_LOOP},
    "elastic_distort_values": {"batch filter": ELASTIC, "filter per image": ELASTIC_PER_IMAGE},
    "add_gaussian_noise_values": {"clip": NOISE, "masks": NOISE_STD},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "shift: wrong direction": (_replace(SHIFT, "enumerate(shifts)", "enumerate(-shifts)"),
                               "shift_images_values", "ずらす向きが逆"),
    "shift: dy and dx swapped": (_replace(SHIFT, "enumerate(shifts)", "enumerate(shifts[:, ::-1])"),
                                 "shift_images_values", "dy と dx が入れ替わっています"),
    "shift: np.roll": (HELPER + '''
def shift_images(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return np.array([np.roll(im, (dy, dx), axis=(0, 1)) for im, (dy, dx) in zip(images, shifts)])
''', "shift_images_values", "np.roll"),
    "shift: exclusive upper bound": (_replace(SHIFT, "max_shift + 1", "max_shift"), "shift_images_values",
                                     "上限は含まれません"),
    "shift: global RNG": (_replace(SHIFT, "rng.integers(", "np.random.randint("), "shift_images_values",
                          "numpy 全体の乱数"),
    "shift: in place": (HELPER + '''
def shift_images(images, rng, max_shift=2):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    for i, (dy, dx) in enumerate(shifts):
        moved = np.roll(images[i], (dy, dx), axis=(0, 1))
        if dy > 0: moved[:dy] = 0
        if dy < 0: moved[dy:] = 0
        if dx > 0: moved[:, :dx] = 0
        if dx < 0: moved[:, dx:] = 0
        images[i] = moved
    return images
''', "shift_images_values", "書き換えられています"),
    "flip: vertical": (HELPER + "def flip_horizontal(images):\n    return images[:, ::-1].copy()\n",
                       "flip_horizontal_values", "上下を反転"),
    "flip: batch axis": (HELPER + "def flip_horizontal(images):\n    return np.flip(images, axis=0).copy()\n",
                         "flip_horizontal_values", "画像の順番"),
    "flip: transposed": (HELPER + "def flip_horizontal(images):\n    return images.transpose(0, 2, 1).copy()\n",
                         "flip_horizontal_values", "転置"),
    "flip: in place": (HELPER + "def flip_horizontal(images):\n    images[:] = images[:, :, ::-1].copy()\n"
                                "    return images\n", "flip_horizontal_values", "書き換えられています"),
    "rotate: about the corner": (_replace(ROTATE, "cy, cx = (h - 1) / 2, (w - 1) / 2", "cy, cx = 0.0, 0.0"),
                                 "rotate_images_values", "左上の角（原点）を中心に"),
    "rotate: wrong direction": (_replace(ROTATE, "np.deg2rad(rng.uniform(", "-np.deg2rad(rng.uniform("),
                                "rotate_images_values", "回転の向きが逆"),
    "rotate: degrees into cos": (_replace(ROTATE, "np.deg2rad(rng.uniform(-max_angle, max_angle, size=n))",
                                          "rng.uniform(-max_angle, max_angle, size=n)"),
                                 "rotate_images_values", "ラジアン"),
    "rotate: global RNG": (_replace(ROTATE, "rng.uniform(", "np.random.uniform("), "rotate_images_values",
                           "numpy 全体の乱数"),
    "scale: multiplies": (_replace(SCALE, "cy + (y - cy) / s, cx + (x - cx) / s", "cy + (y - cy) * s, cx + (x - cx) * s"),
                          "scale_images_values", "拡大と縮小が逆"),
    "scale: about the corner": (_replace(SCALE, "cy, cx = (h - 1) / 2, (w - 1) / 2", "cy, cx = 0, 0"),
                                "scale_images_values", "左上の角を中心に"),
    "scale: global RNG": (_replace(SCALE, "rng.uniform(", "np.random.uniform("), "scale_images_values",
                          "numpy 全体の乱数"),
    "elastic: not smoothed": (_replace(_replace(ELASTIC, "alpha * gaussian_filter(u[0], sigma=(0, sigma, sigma))",
                                                "alpha * u[0]"),
                                       "alpha * gaussian_filter(u[1], sigma=(0, sigma, sigma))", "alpha * u[1]"),
                              "elastic_distort_values", "平滑化していません"),
    "elastic: one field for both": (_replace(ELASTIC, "gaussian_filter(u[1]", "gaussian_filter(u[0]"),
                                    "elastic_distort_values", "同じ乱数"),
    "elastic: fields swapped": (_replace(_replace(ELASTIC, "gaussian_filter(u[1]", "gaussian_filter(U1"),
                                         "gaussian_filter(u[0]", "gaussian_filter(u[1]").replace("U1", "u[0]"),
                                "elastic_distort_values", "dy と dx の乱数が逆"),
    "elastic: alpha missing": (_replace(_replace(ELASTIC, "dy = alpha * ", "dy = "), "dx = alpha * ", "dx = "),
                               "elastic_distort_values", "alpha を掛けていません"),
    "elastic: global RNG": (_replace(ELASTIC, "rng.uniform(", "np.random.uniform("), "elastic_distort_values",
                            "numpy 全体の乱数"),
    "noise: no clip (wraps around)": (_replace(NOISE, "np.clip(np.rint(noisy), 0, 255).astype(np.uint8)",
                                               "np.rint(noisy).astype(np.int64).astype(np.uint8)"),
                                      "add_gaussian_noise_values", "折り返して"),
    "noise: float returned": (_replace(NOISE, "np.clip(np.rint(noisy), 0, 255).astype(np.uint8)", "noisy"),
                              "add_gaussian_noise_values", "float のまま返しています"),
    "noise: range 0-1": (_replace(NOISE, "np.clip(np.rint(noisy), 0, 255).astype(np.uint8)",
                                  "np.clip(np.rint(noisy), 0, 255) / 255.0"),
                         "add_gaussian_noise_values", "0〜1 の範囲"),
    "noise: global RNG": (_replace(NOISE, "rng.normal(", "np.random.normal("), "add_gaussian_noise_values",
                          "numpy 全体の乱数"),
    "noise: in place": (HELPER + '''
def add_gaussian_noise(images, rng, sigma=20.0):
    noisy = np.clip(np.rint(images + rng.normal(0.0, sigma, size=images.shape)), 0, 255)
    images[...] = noisy
    return images
''', "add_gaussian_noise_values", "書き換えられています"),
}

STUBS = {
    "shift_images_values": "def shift_images(images, rng, max_shift=2):\n    raise NotImplementedError()\n",
    "flip_horizontal_values": "def flip_horizontal(images):\n    raise NotImplementedError()\n",
    "rotate_images_values": "def rotate_images(images, rng, max_angle=15.0):\n    raise NotImplementedError()\n",
    "scale_images_values": "def scale_images(images, rng, min_scale=0.8, max_scale=1.2):\n"
                           "    raise NotImplementedError()\n",
    "elastic_distort_values": "def elastic_distort(images, rng, alpha=34.0, sigma=4.0):\n    raise NotImplementedError()\n",
    "add_gaussian_noise_values": "def add_gaussian_noise(images, rng, sigma=20.0):\n    raise NotImplementedError()\n",
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


def test_seeded_arguments_give_each_side_its_own_generator():
    """A Seeded argument becomes a fresh Generator in the student's kernel and for the reference, and the
    global random state is seeded during a checked call and restored after it."""
    from course import probe
    from course.checking import _copy_args

    seeded = probe.Seeded(7)
    decoded = probe.decode_value(probe.encode_value(seeded))
    assert isinstance(decoded, np.random.Generator)
    assert decoded.random() == np.random.default_rng(7).random() == _copy_args((seeded,))[0].random()
    before = np.random.get_state()[1].copy()
    entry = probe._record(lambda: np.random.random(), [])
    assert probe.decode_value(entry["value"]) == np.random.RandomState(probe.GLOBAL_SEED).random_sample()
    assert np.array_equal(np.random.get_state()[1], before)


def test_rotation_is_counter_clockwise_about_the_centre():
    from autograder.checks.day5.data_augmentation import _rotate_by, _scale_by

    image = np.zeros((1, 5, 5), dtype=np.uint8)
    image[0, 4, 2] = 255  # bottom centre
    rotated = _rotate_by(image, [90.0])
    assert rotated[0, 2, 4] == 255 and rotated.sum() == 255  # bottom → right: counter-clockwise on screen
    grown = _scale_by(np.pad(np.full((1, 1, 1), 255, dtype=np.uint8), ((0, 0), (3, 3), (3, 3))), [3.0])
    assert grown[0, 3, 3] == 255 and grown[0, 2, 3] > 0 and grown[0, 0, 0] == 0  # centred growth
