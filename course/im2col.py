"""``im2col`` / ``col2im`` for convolution and pooling layers (『ゼロから作るDeep Learning』 7.4).

Same arguments, shapes and element order as the book's ``common/util.py``:

* ``im2col(input_data, filter_h, filter_w, stride=1, pad=0)`` turns a batch of images
  (N, C, H, W) into a 2-D array of shape (N * out_h * out_w, C * filter_h * filter_w): one row
  per output position (ordered n, then out_y, then out_x), one column per filter element
  (ordered c, then y, then x).
* ``col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0)`` is its adjoint: it adds every
  row back onto the pixels it came from (overlapping windows are summed), which is exactly what
  the backward pass of a convolution needs.

``out_h = (H + 2 * pad - filter_h) // stride + 1`` (likewise ``out_w``). Padding is zeros.
``im2col`` uses a strided view (no Python loop over the filter), ``col2im`` loops only over
the filter_h * filter_w filter positions, like the book.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["im2col", "col2im", "conv_output_size"]


def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    return (input_size + 2 * pad - filter_size) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) images -> (N * out_h * out_w, C * filter_h * filter_w) columns."""
    x = np.asarray(input_data)
    N, C, H, W = x.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"filter {filter_h}x{filter_w} does not fit the padded input {H}x{W} (pad={pad})")
    # Work in (N, H, W, C) order: the copy below then reads whole channel vectors, which is about
    # twice as fast as gathering from (N, C, H, W); the values and their order are the book's.
    padded = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dtype=x.dtype)
    padded[:, pad:pad + H, pad:pad + W, :] = x.transpose(0, 2, 3, 1)
    # windows[n, i, j, c, y, x] = padded[n, i + y, j + x, c]
    windows = sliding_window_view(padded, (filter_h, filter_w), axis=(1, 2))
    windows = windows[:, :(out_h - 1) * stride + 1:stride, :(out_w - 1) * stride + 1:stride]
    # one row per output position (n, out_y, out_x), columns (c, y, x); reshape copies
    return windows.reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """Adjoint of ``im2col``: columns back to (N, C, H, W), overlapping windows summed."""
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = np.asarray(col).reshape(N, out_h, out_w, C, filter_h, filter_w)
    # accumulate in (N, H, W, C) order (same sums in the same order as the book's loop)
    img = np.zeros((N, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1, C), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, y:y_max:stride, x:x_max:stride, :] += col[:, :, :, :, y, x]
    return img[:, pad:H + pad, pad:W + pad, :].transpose(0, 3, 1, 2).copy()
