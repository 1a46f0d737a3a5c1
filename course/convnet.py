"""``SimpleConvNet``: the book's small CNN (『ゼロから作るDeep Learning』 7.5), reference of 5.4.

Layout (defaults: MNIST, 30 filters 5×5, hidden 100)::

    Conv1 (W1 (FN, C, FH, FW), b1 (FN,)) → Relu1 → Pool1 (2×2 max, stride 2)
    → Affine1 (W2 (FN·PH·PW, hidden), b2) → Relu2 → Affine2 (W3 (hidden, out), b3) → SoftmaxWithLoss

with PH = (H − FH + 2·pad) // stride + 1 halved by the pooling (integer division), likewise PW.
Parameters ``W1, b1, W2, b2, W3, b3`` in ``params`` are the same arrays the layers use.

Initialisation: ``rng = np.random.default_rng(seed)``; ``W1``, ``W2``, ``W3`` are
``weight_init_std * rng.standard_normal(shape)`` drawn in this order; biases are zero; everything
is cast to ``dtype`` (float64 by default, float32 trains about twice as fast).

``predict(x)`` returns the scores before softmax (N, out), ``loss(x, t)`` the mean cross-entropy
(``t`` class indices or one-hot), ``gradient(x, t)`` the backpropagated gradients as a dict with
the keys of ``params``, ``accuracy(x, t, batch_size)`` the fraction of correct classes.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from course.im2col import conv_output_size
from course.layers import Affine, Convolution, Pooling, Relu, SoftmaxWithLoss

__all__ = ["SimpleConvNet"]


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28), conv_param=None, hidden_size=100, output_size=10,
                 weight_init_std=0.01, seed=0, dtype=np.float64):
        conv_param = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, **(conv_param or {})}
        filter_num, filter_size = conv_param["filter_num"], conv_param["filter_size"]
        pad, stride = conv_param["pad"], conv_param["stride"]
        C, H, W = input_dim
        conv_h = conv_output_size(H, filter_size, stride, pad)
        conv_w = conv_output_size(W, filter_size, stride, pad)
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)

        rng = np.random.default_rng(seed)
        self.params = {}
        self.params["W1"] = (weight_init_std * rng.standard_normal((filter_num, C, filter_size, filter_size))).astype(dtype)
        self.params["b1"] = np.zeros(filter_num, dtype=dtype)
        self.params["W2"] = (weight_init_std * rng.standard_normal((pool_output_size, hidden_size))).astype(dtype)
        self.params["b2"] = np.zeros(hidden_size, dtype=dtype)
        self.params["W3"] = (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(dtype)
        self.params["b3"] = np.zeros(output_size, dtype=dtype)

        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], stride, pad)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = 0
        for start in range(0, len(x), batch_size):
            y = self.predict(x[start:start + batch_size])
            correct += int(np.sum(np.argmax(y, axis=1) == t[start:start + batch_size]))
        return correct / len(x)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for key, name in (("1", "Conv1"), ("2", "Affine1"), ("3", "Affine2")):
            grads["W" + key] = self.layers[name].dW
            grads["b" + key] = self.layers[name].db
        return grads
