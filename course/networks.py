"""Reference networks built from ``course.layers`` (『ゼロから作るDeep Learning』 6–7 章).

* ``MultiLayerNet`` — fully connected: (Affine → Relu [→ Dropout]) × len(hidden_size_list) → Affine
  → SoftmaxWithLoss. Parameters ``W1, b1, ..., W{L}, b{L}``.
* ``MultiLayerNetExtend`` — the configurable fully connected network of notebook 4.5 (the book's
  ``common/multi_layer_net_extend.py``): per hidden layer Affine → [BatchNorm] → Relu/Sigmoid →
  [Dropout]; weight decay; parameters ``W{i}, b{i}`` and, with BN, ``gamma{i}, beta{i}``.
* ``ConvNet`` — a small VGG-style CNN for 28×28 single-channel images (with the defaults)::

      conv3x3-16 (pad 1) → Relu → conv3x3-16 (pad 1) → Relu → maxpool 2×2
      → conv3x3-32 (pad 1) → Relu → conv3x3-32 (pad 1) → Relu → maxpool 2×2
      → Affine 1568-128 → Relu → Dropout → Affine 128-15 → SoftmaxWithLoss

  Parameters ``W1, b1`` … ``W4, b4`` (convolutions, W as (FN, C, 3, 3)), ``W5, b5``, ``W6, b6``
  (affine layers).

Both networks share one interface: ``params`` (dict of arrays, the same arrays the layers use),
``predict(x, train_flg=False)`` (scores before softmax), ``loss(x, t, train_flg=True)``,
``gradient(x, t)`` (backpropagation; returns a dict like ``params``), ``accuracy(x, t)``,
``predict_proba(x)`` (softmax probabilities, rows sum to 1), ``param_shapes()`` (for
``course.katakana.load_model(expected_shapes=...)``), ``load_params(params)`` and the text
``architecture`` (a constructor call; ``network_from_architecture`` rebuilds the network from it).

Inputs: ``MultiLayerNet`` takes (N, 784) (any (N, ...) works, it is flattened); ``ConvNet``
takes (N, 1, 28, 28). Preprocessing is the caller's job: divide uint8 images by 255 first.
``t`` may be class indices or one-hot rows. Initialisation is deterministic: weights are drawn
from ``np.random.default_rng(seed)`` ("he": std sqrt(2 / fan_in), "xavier": sqrt(1 / fan_in), or
a number), biases are zero; the dropout masks use their own generators derived from ``seed``.
``dtype`` (default float64) is the dtype of the parameters and of the computation; float32
trains about twice as fast, float64 is needed for gradient checking.
"""

from __future__ import annotations

import ast
from collections import OrderedDict

import numpy as np

from course.batch_normalization import BatchNormalization
from course.dropout import Dropout
from course.functions import softmax
from course.im2col import conv_output_size
from course.layers import Affine, Convolution, Pooling, Relu, Sigmoid, SoftmaxWithLoss

__all__ = ["MultiLayerNet", "MultiLayerNetExtend", "ConvNet", "network_from_architecture"]


def _init_std(weight_init_std, fan_in):
    if isinstance(weight_init_std, str):
        kind = weight_init_std.lower()
        if kind in ("he", "relu"):
            return np.sqrt(2.0 / fan_in)
        if kind in ("xavier", "sigmoid"):
            return np.sqrt(1.0 / fan_in)
        raise ValueError(f"unknown weight_init_std {weight_init_std!r} (use 'he', 'xavier' or a number)")
    return float(weight_init_std)


class _Network:
    """Shared code: the layer list, loss, gradient, accuracy, probabilities, parameter I/O."""

    params: dict
    layers: OrderedDict
    last_layer: SoftmaxWithLoss
    _param_layers: list  # (layer name, index of its W/b in params)
    _init_args: dict

    @property
    def architecture(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._init_args.items())
        return f"{type(self).__name__}({args})"

    def _input(self, x):
        x = np.asarray(x)
        return x.astype(self.dtype, copy=False) if x.dtype != self.dtype else x

    def predict(self, x, train_flg=False):
        x = self._input(x)
        for layer in self.layers.values():
            x = layer.forward(x, train_flg) if isinstance(layer, Dropout) else layer.forward(x)
        return x

    def _weight_decay(self):
        if not self.weight_decay_lambda:
            return 0.0
        return 0.5 * self.weight_decay_lambda * sum(float(np.sum(self.params[f"W{i}"] ** 2))
                                                     for _, i in self._param_layers)

    def loss(self, x, t, train_flg=True):
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self._weight_decay()

    def gradient(self, x, t):
        """Gradients of ``loss(x, t, train_flg=True)`` by backpropagation; the loss value of this
        forward pass is kept in ``self.last_loss``."""
        self.last_loss = float(self.loss(x, t, train_flg=True))
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for name, i in self._param_layers:
            layer = self.layers[name]
            grads[f"W{i}"] = layer.dW + self.weight_decay_lambda * layer.W if self.weight_decay_lambda else layer.dW
            grads[f"b{i}"] = layer.db
        return grads

    def predict_proba(self, x, batch_size=100):
        """Softmax probabilities (N, classes), float64, computed in batches (test mode)."""
        x = np.asarray(x)
        parts = [softmax(self.predict(x[i:i + batch_size], train_flg=False)) for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.output_size))

    def accuracy(self, x, t, batch_size=500):
        t = np.asarray(t)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = 0
        for i in range(0, len(x), batch_size):
            y = self.predict(x[i:i + batch_size], train_flg=False)
            correct += int(np.sum(np.argmax(y, axis=1) == t[i:i + batch_size]))
        return correct / len(x) if len(x) else 0.0

    def param_shapes(self) -> dict:
        return {name: tuple(value.shape) for name, value in self.params.items()}

    def load_params(self, params) -> None:
        """Copy ``params`` (e.g. from ``course.katakana.load_model``) into the network's arrays.

        Every parameter of the network must be present with the same shape (extra entries such
        as ``__architecture__`` are ignored); values are converted to the network's dtype.
        """
        for name, shape in self.param_shapes().items():
            if name not in params:
                raise KeyError(f"parameter {name} is missing")
            value = np.asarray(params[name])
            if tuple(value.shape) != shape:
                raise ValueError(f"parameter {name} has shape {tuple(value.shape)}, the network needs {shape}")
        for name in self.params:
            self.params[name][...] = np.asarray(params[name], dtype=self.dtype)


class MultiLayerNet(_Network):
    """Fully connected network: (Affine → Relu [→ Dropout]) × hidden layers → Affine → softmax.

    ``dropout_ratio > 0`` inserts a ``Dropout`` after every Relu (book convention: test-time
    outputs are scaled by 1 - ratio). ``weight_decay_lambda`` adds 0.5 * λ * Σ‖W‖² to the loss
    (the book's MultiLayerNet option), 0 by default.
    """

    def __init__(self, input_size, hidden_size_list, output_size, weight_init_std="he", seed=0,
                 dropout_ratio=0.0, weight_decay_lambda=0.0, dtype=np.float64):
        self.input_size = int(input_size)
        self.hidden_size_list = [int(h) for h in hidden_size_list]
        self.output_size = int(output_size)
        self.dropout_ratio = float(dropout_ratio)
        self.weight_decay_lambda = float(weight_decay_lambda)
        self.dtype = np.dtype(dtype)
        self._init_args = {"input_size": self.input_size, "hidden_size_list": self.hidden_size_list,
                           "output_size": self.output_size, "dropout_ratio": self.dropout_ratio}
        rng = np.random.default_rng(seed)
        sizes = [self.input_size, *self.hidden_size_list, self.output_size]
        self.params = {}
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            std = _init_std(weight_init_std, n_in)
            self.params[f"W{i}"] = (std * rng.standard_normal((n_in, n_out))).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(n_out, dtype=self.dtype)
        self.layers = OrderedDict()
        self._param_layers = []
        n_layers = len(sizes) - 1
        for i in range(1, n_layers + 1):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            self._param_layers.append((f"Affine{i}", i))
            if i < n_layers:
                self.layers[f"Relu{i}"] = Relu()
                if self.dropout_ratio > 0:
                    self.layers[f"Dropout{i}"] = Dropout(self.dropout_ratio, seed=[seed, i])
        self.last_layer = SoftmaxWithLoss()


class MultiLayerNetExtend(_Network):
    """Configurable fully connected network, the conventions of notebook 4.5 (the book's
    ``MultiLayerNetExtend`` with the course's seeds and inverted dropout):

    * weights ``W{i}`` (i = 1 … L, L = len(hidden_size_list) + 1) drawn in that order from
      ``np.random.default_rng(seed)`` as ``std * rng.standard_normal((n_in, n_out))``;
      ``std`` = sqrt(2 / n_in) for "relu"/"he", sqrt(1 / n_in) for "sigmoid"/"xavier", or the given
      number; biases ``b{i}`` zeros; with ``use_batchnorm``, ``gamma{i}`` ones and ``beta{i}`` zeros
      (i = 1 … L-1);
    * ``layers`` (an OrderedDict), per hidden layer i: ``Affine{i}`` → ``BatchNorm{i}``
      (``BatchNormalization(gamma{i}, beta{i})``, momentum 0.9, when ``use_batchnorm``) →
      ``Activation_function{i}`` (``Relu`` or ``Sigmoid``) → ``Dropout{i}``
      (``Dropout(dropout_ratio, seed=[seed, i], inverted=True)``, when ``use_dropout``); then
      ``Affine{L}``; ``last_layer`` = ``SoftmaxWithLoss``;
    * ``predict(x, train_flg=False)`` passes ``train_flg`` to BatchNorm and Dropout;
      ``loss(x, t, train_flg=False)`` = cross-entropy + 0.5 * λ * Σ_i np.sum(W_i ** 2) (weights
      only); ``gradient(x, t)`` runs ``loss(x, t, train_flg=True)`` once and backpropagates:
      ``W{i}``: dW + λ * W, ``b{i}``: db, ``gamma{i}``, ``beta{i}``: dgamma, dbeta.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="relu",
                 weight_decay_lambda=0.0, use_dropout=False, dropout_ratio=0.5, use_batchnorm=False, seed=0,
                 dtype=np.float64):
        activations = {"relu": Relu, "sigmoid": Sigmoid}
        if activation not in activations:
            raise ValueError(f"unknown activation {activation!r} (use 'relu' or 'sigmoid')")
        self.input_size = int(input_size)
        self.hidden_size_list = [int(h) for h in hidden_size_list]
        self.output_size = int(output_size)
        self.activation = activation
        self.weight_decay_lambda = float(weight_decay_lambda)
        self.use_dropout = bool(use_dropout)
        self.dropout_ratio = float(dropout_ratio)
        self.use_batchnorm = bool(use_batchnorm)
        self.dtype = np.dtype(dtype)
        self._init_args = {"input_size": self.input_size, "hidden_size_list": self.hidden_size_list,
                           "output_size": self.output_size, "activation": activation,
                           "use_dropout": self.use_dropout, "dropout_ratio": self.dropout_ratio,
                           "use_batchnorm": self.use_batchnorm}
        rng = np.random.default_rng(seed)
        sizes = [self.input_size, *self.hidden_size_list, self.output_size]
        n_layers = len(sizes) - 1
        self.params = {}
        for i in range(1, n_layers + 1):
            n_in, n_out = sizes[i - 1], sizes[i]
            std = _init_std(weight_init_std, n_in)
            self.params[f"W{i}"] = (std * rng.standard_normal((n_in, n_out))).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(n_out, dtype=self.dtype)
        self.layers = OrderedDict()
        self._param_layers = []
        for i in range(1, n_layers):
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            self._param_layers.append((f"Affine{i}", i))
            if self.use_batchnorm:
                self.params[f"gamma{i}"] = np.ones(sizes[i], dtype=self.dtype)
                self.params[f"beta{i}"] = np.zeros(sizes[i], dtype=self.dtype)
                self.layers[f"BatchNorm{i}"] = BatchNormalization(self.params[f"gamma{i}"], self.params[f"beta{i}"])
            self.layers[f"Activation_function{i}"] = activations[activation]()
            if self.use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(self.dropout_ratio, seed=[seed, i], inverted=True)
        self.layers[f"Affine{n_layers}"] = Affine(self.params[f"W{n_layers}"], self.params[f"b{n_layers}"])
        self._param_layers.append((f"Affine{n_layers}", n_layers))
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        x = self._input(x)
        for layer in self.layers.values():
            x = layer.forward(x, train_flg) if isinstance(layer, (Dropout, BatchNormalization)) else layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        return self.last_layer.forward(y, t) + self._weight_decay()

    def gradient(self, x, t):
        """Gradients of the loss in training mode (one forward pass with ``train_flg=True``)."""
        self.last_loss = float(self.loss(x, t, train_flg=True))
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for name, i in self._param_layers:
            layer = self.layers[name]
            grads[f"W{i}"] = layer.dW + self.weight_decay_lambda * layer.W
            grads[f"b{i}"] = layer.db
            if f"BatchNorm{i}" in self.layers:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.layers[f"BatchNorm{i}"].dbeta
        return grads


class ConvNet(_Network):
    """Small VGG-style CNN: two blocks of two 3×3 convolutions (pad 1) + 2×2 max pooling, then
    Affine → Relu → Dropout → Affine. See the module docstring for the default layout.

    ``conv_channels`` lists the four convolution widths (block 1: first two, block 2: last two);
    input (N, C, H, W) with H and W divisible by 4.
    """

    def __init__(self, input_dim=(1, 28, 28), conv_channels=(16, 16, 32, 32), hidden_size=128,
                 output_size=15, dropout_ratio=0.5, weight_init_std="he", seed=0, dtype=np.float64):
        self.input_dim = tuple(int(d) for d in input_dim)
        self.conv_channels = tuple(int(c) for c in conv_channels)
        if len(self.conv_channels) != 4:
            raise ValueError("conv_channels needs four widths")
        self.hidden_size = int(hidden_size)
        self.output_size = int(output_size)
        self.dropout_ratio = float(dropout_ratio)
        self.weight_decay_lambda = 0.0
        self.dtype = np.dtype(dtype)
        self._init_args = {"input_dim": self.input_dim, "conv_channels": self.conv_channels,
                           "hidden_size": self.hidden_size, "output_size": self.output_size,
                           "dropout_ratio": self.dropout_ratio}
        rng = np.random.default_rng(seed)
        C, H, W = self.input_dim
        self.params = {}
        self.layers = OrderedDict()
        self._param_layers = []
        in_ch = C
        for i, out_ch in enumerate(self.conv_channels, start=1):
            std = _init_std(weight_init_std, in_ch * 9)
            self.params[f"W{i}"] = (std * rng.standard_normal((out_ch, in_ch, 3, 3))).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(out_ch, dtype=self.dtype)
            self.layers[f"Conv{i}"] = Convolution(self.params[f"W{i}"], self.params[f"b{i}"], stride=1, pad=1)
            self._param_layers.append((f"Conv{i}", i))
            self.layers[f"Relu{i}"] = Relu()
            if i % 2 == 0:
                self.layers[f"Pool{i // 2}"] = Pooling(2, 2, stride=2)
                H, W = conv_output_size(H, 2, 2), conv_output_size(W, 2, 2)
            in_ch = out_ch
        flat = in_ch * H * W
        for i, (n_in, n_out) in enumerate([(flat, self.hidden_size), (self.hidden_size, self.output_size)], start=5):
            std = _init_std(weight_init_std, n_in)
            self.params[f"W{i}"] = (std * rng.standard_normal((n_in, n_out))).astype(self.dtype)
            self.params[f"b{i}"] = np.zeros(n_out, dtype=self.dtype)
        self.layers["Affine5"] = Affine(self.params["W5"], self.params["b5"])
        self._param_layers.append(("Affine5", 5))
        self.layers["Relu5"] = Relu()
        if self.dropout_ratio > 0:
            self.layers["Dropout5"] = Dropout(self.dropout_ratio, seed=[seed, 5])
        self.layers["Affine6"] = Affine(self.params["W6"], self.params["b6"])
        self._param_layers.append(("Affine6", 6))
        self.last_layer = SoftmaxWithLoss()


_NETWORKS = {"MultiLayerNet": MultiLayerNet, "MultiLayerNetExtend": MultiLayerNetExtend, "ConvNet": ConvNet}


def network_from_architecture(architecture: str, **kwargs):
    """Rebuild a network from its ``architecture`` text, e.g. ``"ConvNet(hidden_size=128, ...)"``.

    Only the classes of this module and literal arguments are accepted (the text is parsed, never
    executed). ``kwargs`` (e.g. ``dtype=np.float32``) are passed on to the constructor.
    """
    try:
        call = ast.parse(architecture.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"not an architecture text: {architecture!r}") from exc
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.func.id not in _NETWORKS or call.args:
        raise ValueError(f"not an architecture text: {architecture!r}")
    args = {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}
    args.update(kwargs)
    return _NETWORKS[call.func.id](**args)
