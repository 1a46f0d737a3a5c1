"""Data augmentation for 28×28 grey images (データ拡張), batch-wise and deterministic.

Every function takes ``images`` of shape (N, 28, 28) (any (N, H, W) works) as float in [0, 1]
or uint8 in [0, 255] and returns a new array of the same shape and dtype in the same range;
the input is never modified. Random functions draw everything from the ``rng`` they are given
(``np.random.default_rng(seed)``), so the same seed gives the same images.

* ``random_affine`` — rotation, shear, per-axis scale and shift around the image centre.
* ``elastic_distortion`` — smooth random displacements (a coarse grid of normal offsets,
  upsampled bicubically).
* ``stroke_width`` — thicker or thinner strokes (grey dilation / erosion, blended by a random
  fraction so the change is gradual).
* ``crop_and_stretch`` — crop every image to its ink bounding box and stretch each axis to fill
  the frame (no randomness).
* ``add_noise`` — ink intensity, Gaussian noise on the ink, faint specks on the background.
* ``katakana_augment`` — the pipeline for the capstone data: affine + elastic on a padded
  canvas (so no ink is cut off), stroke width, crop-and-stretch (the katakana images always
  fill the frame), noise.

Uses ``scipy.ndimage`` for interpolation and morphology.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = ["random_affine", "elastic_distortion", "stroke_width", "crop_and_stretch", "add_noise",
           "katakana_augment"]


def _to_float(images):
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (N, H, W), got {images.shape}")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    return images.astype(np.float32) / np.float32(scale), images.dtype


def _from_float(x, dtype):
    x = np.clip(x, 0.0, 1.0)
    if dtype == np.uint8:
        return np.round(x * 255.0).astype(np.uint8)
    return x.astype(dtype if np.dtype(dtype).kind == "f" else np.float32)


def _affine_coordinates(rng, n, out_shape, in_shape, rotation, shear, scale, shift):
    """Source (y, x) coordinates in the input of every output pixel, for n random affine maps."""
    out_h, out_w = out_shape
    in_h, in_w = in_shape
    angle = np.deg2rad(rng.uniform(-rotation, rotation, n))
    sh = rng.uniform(-shear, shear, n)
    sx, sy = rng.uniform(scale[0], scale[1], (2, n))
    dx, dy = rng.uniform(-shift, shift, (2, n))
    cos, sin = np.cos(angle), np.sin(angle)
    # forward map on (x, y): R(angle) @ [[1, shear], [0, 1]] @ diag(sx, sy); invert per image
    a, b = cos * sx, (cos * sh - sin) * sy
    c, d = sin * sx, (sin * sh + cos) * sy
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    ox = xx[None] - (out_w - 1) / 2 - dx[:, None, None]
    oy = yy[None] - (out_h - 1) / 2 - dy[:, None, None]
    src_x = ia[:, None, None] * ox + ib[:, None, None] * oy + (in_w - 1) / 2
    src_y = ic[:, None, None] * ox + id_[:, None, None] * oy + (in_h - 1) / 2
    return src_y, src_x


def _upsample_matrix(size, grid):
    """(size, grid) matrix of the bicubic spline zoom of a grid-point signal to ``size`` points."""
    eye = np.eye(grid)
    return np.stack([ndimage.zoom(e, size / grid, order=3, mode="nearest", grid_mode=True)[:size]
                     for e in eye], axis=1)


def _elastic_field(rng, n, shape, alpha, grid):
    """Smooth displacement fields (2, n, H, W): grid×grid normal offsets, bicubic upsampling
    (separable, done as two small matrix products)."""
    h, w = shape
    amp = rng.uniform(alpha[0], alpha[1], n)
    coarse = rng.standard_normal((2, n, grid, grid))
    my, mx = _upsample_matrix(h, grid), _upsample_matrix(w, grid)
    field = np.einsum("hi,cnij,wj->cnhw", my, coarse, mx, optimize=True)
    return field * amp[None, :, None, None]


def _sample(x, src_y, src_x, order=1):
    n = x.shape[0]
    idx = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], src_y.shape)
    return ndimage.map_coordinates(x, [idx, src_y, src_x], order=order, mode="constant", cval=0.0)


def random_affine(images, rng, rotation=12.0, shear=0.25, scale=(0.8, 1.2), shift=2.0):
    """Random affine map per image: rotation ±``rotation`` degrees, shear ±``shear``, per-axis
    scale uniform in ``scale``, shift ±``shift`` pixels; bilinear, background 0 outside."""
    x, dtype = _to_float(images)
    src_y, src_x = _affine_coordinates(rng, len(x), x.shape[1:], x.shape[1:], rotation, shear, scale, shift)
    return _from_float(_sample(x, src_y, src_x), dtype)


def elastic_distortion(images, rng, alpha=(0.5, 1.5), grid=4):
    """Elastic distortion: displacements of amplitude uniform in ``alpha`` pixels (std of the
    coarse grid values), smooth over about 1/``grid`` of the image."""
    x, dtype = _to_float(images)
    n, h, w = x.shape
    field = _elastic_field(rng, n, (h, w), alpha, grid)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    return _from_float(_sample(x, yy[None] + field[0], xx[None] + field[1]), dtype)


def stroke_width(images, rng, change=(-0.6, 1.0)):
    """Thicken or thin strokes: per image a value s uniform in ``change``; s > 0 blends the image
    with its 3×3 grey dilation (s = 1: about 2 px thicker), s < 0 with its 3×3 grey erosion."""
    x, dtype = _to_float(images)
    s = rng.uniform(change[0], change[1], len(x)).astype(np.float32)[:, None, None]
    out = x.copy()
    up = s[:, 0, 0] > 0
    down = s[:, 0, 0] < 0
    if up.any():
        dil = ndimage.grey_dilation(x[up], size=(1, 3, 3))
        out[up] = x[up] + s[up] * (dil - x[up])
    if down.any():
        ero = ndimage.grey_erosion(x[down], size=(1, 3, 3))
        out[down] = x[down] + (-s[down]) * (ero - x[down])
    return _from_float(out, dtype)


def _stretch_to(x, out_shape, threshold):
    n = x.shape[0]
    out_h, out_w = out_shape
    ink = x > threshold
    rows, cols = ink.any(axis=2), ink.any(axis=1)
    has = rows.any(axis=1)
    h, w = x.shape[1:]
    r0 = np.where(has, rows.argmax(axis=1), 0)
    r1 = np.where(has, h - 1 - rows[:, ::-1].argmax(axis=1), h - 1)
    c0 = np.where(has, cols.argmax(axis=1), 0)
    c1 = np.where(has, w - 1 - cols[:, ::-1].argmax(axis=1), w - 1)
    ty = np.linspace(0.0, 1.0, out_h)
    tx = np.linspace(0.0, 1.0, out_w)
    src_y = np.broadcast_to((r0[:, None] + (r1 - r0)[:, None] * ty[None])[:, :, None], (n, out_h, out_w))
    src_x = np.broadcast_to((c0[:, None] + (c1 - c0)[:, None] * tx[None])[:, None, :], (n, out_h, out_w))
    idx = np.broadcast_to(np.arange(n, dtype=np.float64)[:, None, None], (n, out_h, out_w))
    return ndimage.map_coordinates(x, [idx, src_y, src_x], order=1, mode="nearest")


def crop_and_stretch(images, threshold=0.25, out_shape=None):
    """Crop each image to the bounding box of its pixels above ``threshold`` (of full ink) and
    stretch each axis to fill the frame (bilinear; first and last samples on the box edges).
    Images without ink are resampled whole."""
    x, dtype = _to_float(images)
    return _from_float(_stretch_to(x, out_shape or x.shape[1:], threshold), dtype)


def add_noise(images, rng, intensity=(0.85, 1.0), sigma=0.04, speck_rate=0.004):
    """Ink intensity × U(``intensity``), N(0, ``sigma``) noise on ink pixels, faint specks
    (0.05–0.2) on a fraction ``speck_rate`` of background pixels."""
    x, dtype = _to_float(images)
    n = len(x)
    x = x * rng.uniform(intensity[0], intensity[1], n).astype(np.float32)[:, None, None]
    x = x + (x > 0.05) * rng.normal(0.0, sigma, x.shape).astype(np.float32)
    specks = (rng.random(x.shape) < speck_rate) & (x < 0.05)
    x = np.where(specks, rng.uniform(0.05, 0.2, x.shape).astype(np.float32), x)
    return _from_float(x, dtype)


def katakana_augment(images, rng, rotation=12.0, shear=0.25, scale=(0.8, 1.2), shift=2.0,
                     elastic=(0.3, 1.2), stroke=(-0.4, 1.0), noise=True, pad=8, threshold=0.25,
                     contrast=1.25):
    """The capstone pipeline: affine + elastic onto a canvas ``pad`` pixels larger on every side
    (nothing is cut off), stroke width, crop to the ink and stretch to fill the frame (as the data
    generator does), contrast × ``contrast`` (clipped, like the generator), then noise."""
    x, dtype = _to_float(images)
    n, h, w = x.shape
    big = (h + 2 * pad, w + 2 * pad)
    src_y, src_x = _affine_coordinates(rng, n, big, (h, w), rotation, shear, scale, shift)
    if elastic is not None and elastic[1] > 0:
        field = _elastic_field(rng, n, big, elastic, 5)
        src_y = src_y + field[0]
        src_x = src_x + field[1]
    canvas = _sample(x, src_y, src_x)
    if stroke is not None:
        canvas = stroke_width(canvas, rng, stroke)
    out = np.clip(_stretch_to(canvas, (h, w), threshold) * np.float32(contrast), 0.0, 1.0)
    if noise:
        out = add_noise(out, rng)
    return _from_float(out, dtype)
