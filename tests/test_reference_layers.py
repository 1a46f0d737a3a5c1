"""Reference layers, networks, optimizers, augmentation and Trainer of the course package."""

import numpy as np
import pytest

from course import augment as aug
from course.gradient_check import check_gradients
from course.im2col import col2im, im2col
from course.katakana import load_model, save_model
from course.dropout import Dropout
from course.layers import Affine, Convolution, Pooling, Relu, Sigmoid, SoftmaxWithLoss
from course.networks import ConvNet, MultiLayerNet, network_from_architecture
from course.optimizers import SGD, AdaGrad, Adam, Momentum
from course.training import Trainer, cosine_schedule


def _naive_im2col(x, fh, fw, stride, pad):
    """The book's loop version (common/util.py), used as the reference."""
    N, C, H, W = x.shape
    out_h = (H + 2 * pad - fh) // stride + 1
    out_w = (W + 2 * pad - fw) // stride + 1
    img = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, fh, fw, out_h, out_w))
    for y in range(fh):
        for xx in range(fw):
            col[:, :, y, xx, :, :] = img[:, :, y:y + stride * out_h:stride, xx:xx + stride * out_w:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


@pytest.mark.parametrize("shape,fh,fw,stride,pad", [
    ((2, 3, 7, 7), 3, 3, 1, 0), ((2, 3, 7, 6), 3, 2, 2, 1), ((1, 2, 5, 5), 2, 2, 2, 0), ((3, 1, 6, 6), 5, 5, 1, 2),
])
def test_im2col_matches_the_book_and_col2im_is_its_adjoint(shape, fh, fw, stride, pad):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape)
    col = im2col(x, fh, fw, stride, pad)
    N, C, H, W = shape
    out_h, out_w = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    assert col.shape == (N * out_h * out_w, C * fh * fw)
    np.testing.assert_array_equal(col, _naive_im2col(x, fh, fw, stride, pad))
    y = rng.normal(size=col.shape)
    back = col2im(y, shape, fh, fw, stride, pad)
    assert back.shape == shape
    assert np.sum(col * y) == pytest.approx(np.sum(x * back), rel=1e-12)


def _check_layer(forward, backward, arrays, extra_grads=lambda: {}, threshold=1e-6):
    """Gradient check of sum(forward() * R) w.r.t. every array in ``arrays``."""
    rng = np.random.default_rng(1)
    R = rng.normal(size=np.shape(forward()))
    loss = lambda: float(np.sum(forward() * R))  # noqa: E731
    forward()
    grads = {"x": backward(R)} | extra_grads()
    verdict = check_gradients(loss, arrays, grads, threshold=threshold)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("x_shape", [(4, 6), (3, 2, 2, 3)])
def test_affine_gradients_for_2d_and_4d_input(x_shape):
    rng = np.random.default_rng(2)
    x = rng.normal(size=x_shape)
    layer = Affine(rng.normal(size=(6 if len(x_shape) == 2 else 12, 5)), rng.normal(size=5))
    _check_layer(lambda: layer.forward(x), layer.backward, {"x": x, "W": layer.W, "b": layer.b},
                 lambda: {"W": layer.dW, "b": layer.db})
    assert layer.backward(np.ones((x_shape[0], 5))).shape == x_shape


@pytest.mark.parametrize("stride,pad", [(1, 0), (1, 1), (2, 0), (2, 1)])
def test_convolution_gradients(stride, pad):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 2, 6, 5))
    layer = Convolution(rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3), stride=stride, pad=pad)
    _check_layer(lambda: layer.forward(x), layer.backward, {"x": x, "W": layer.W, "b": layer.b},
                 lambda: {"W": layer.dW, "b": layer.db})


def test_convolution_matches_a_direct_sum():
    rng = np.random.default_rng(4)
    x, W, b = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    out = Convolution(W, b, stride=2, pad=1).forward(x)
    xp = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    expected = np.array([[[[np.sum(xp[n, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] * W[f]) + b[f] for j in range(3)]
                           for i in range(3)] for f in range(3)] for n in range(2)])
    np.testing.assert_allclose(out, expected, rtol=1e-12)


@pytest.mark.parametrize("pool,stride", [(2, 2), (3, 1)])
def test_pooling_forward_and_gradients(pool, stride):
    rng = np.random.default_rng(5)
    x = rng.permutation(2 * 3 * 6 * 6).reshape(2, 3, 6, 6) / 10.0  # distinct values: no ties
    layer = Pooling(pool, pool, stride=stride)
    out = layer.forward(x)
    n_out = (6 - pool) // stride + 1
    assert out.shape == (2, 3, n_out, n_out)
    assert out[1, 2, 0, 0] == x[1, 2, :pool, :pool].max()
    _check_layer(lambda: layer.forward(x), layer.backward, {"x": x})


@pytest.mark.parametrize("one_hot", [False, True])
def test_softmax_with_loss_gradients_and_batch_average(one_hot):
    rng = np.random.default_rng(6)
    x = rng.normal(size=(4, 5))
    t = np.array([0, 3, 4, 1])
    target = np.eye(5)[t] if one_hot else t
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, target)
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    assert loss == pytest.approx(-np.mean(np.log(y[np.arange(4), t] + 1e-7)))
    np.testing.assert_allclose(layer.backward(), (y - np.eye(5)[t]) / 4, rtol=1e-12)
    verdict = check_gradients(lambda: layer.forward(x, target), {"x": x}, {"x": layer.backward()})
    assert verdict.passed, verdict.message


def test_relu_sigmoid_and_no_layer_mutates_its_inputs():
    rng = np.random.default_rng(7)
    cases = [
        (Relu(), rng.normal(size=(3, 4)), None),
        (Sigmoid(), rng.normal(size=(3, 4)), None),
        (Affine(rng.normal(size=(4, 2)), rng.normal(size=2)), rng.normal(size=(3, 4)), None),
        (Convolution(rng.normal(size=(2, 1, 3, 3)), rng.normal(size=2), pad=1), rng.normal(size=(2, 1, 4, 4)), None),
        (Pooling(2, 2), rng.normal(size=(2, 1, 4, 4)), None),
        (Dropout(0.5, seed=0), rng.normal(size=(3, 4)), None),
    ]
    for layer, x, _ in cases:
        x_before = x.copy()
        out = layer.forward(x)
        dout = rng.normal(size=out.shape)
        dout_before = dout.copy()
        dx = layer.backward(dout)
        assert dx.shape == x.shape
        np.testing.assert_array_equal(x, x_before, err_msg=type(layer).__name__)
        np.testing.assert_array_equal(dout, dout_before, err_msg=type(layer).__name__)
    x = np.array([[-1.0, 0.0, 2.0]])
    relu = Relu()
    np.testing.assert_array_equal(relu.forward(x), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.backward(np.ones((1, 3))), [[0.0, 0.0, 1.0]])
    sig = Sigmoid()
    np.testing.assert_allclose(sig.forward(np.array([0.0, 1000.0, -1000.0])), [0.5, 1.0, 0.0])
    np.testing.assert_allclose(sig.backward(np.ones(3)), [0.25, 0.0, 0.0])
    scores = np.array([[1.0, 2.0]])
    SoftmaxWithLoss().forward(scores, np.array([1]))
    np.testing.assert_array_equal(scores, [[1.0, 2.0]])


def test_dropout_uses_the_books_convention_and_is_seeded():
    x = np.ones((200, 50))
    layer = Dropout(0.3, seed=1)
    train = layer.forward(x, train_flg=True)
    assert set(np.unique(train)) <= {0.0, 1.0}
    assert abs(train.mean() - 0.7) < 0.02
    np.testing.assert_array_equal(layer.backward(np.full_like(x, 2.0)), 2.0 * train)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), 0.7)
    np.testing.assert_array_equal(Dropout(0.3, seed=1).forward(x), train)


def _tiny_nets():
    return [
        MultiLayerNet(6, [5, 4], 3, seed=1),
        MultiLayerNet(6, [5], 3, seed=2, weight_decay_lambda=0.1),
        ConvNet(input_dim=(1, 8, 8), conv_channels=(2, 2, 3, 3), hidden_size=5, output_size=3, dropout_ratio=0.0, seed=3),
    ]


@pytest.mark.parametrize("index", range(3))
def test_network_gradients_match_numerical_gradients(index):
    net = _tiny_nets()[index]
    rng = np.random.default_rng(8)
    x = rng.normal(size=(4, 6)) if isinstance(net, MultiLayerNet) else rng.random((4, 1, 8, 8))
    t = np.array([0, 2, 1, 2])
    grads = net.gradient(x, t)
    assert set(grads) == set(net.params)
    assert net.last_loss == pytest.approx(net.loss(x, t))
    # The book's cross-entropy adds delta = 1e-7 inside the log and its analytic gradient ignores
    # it: absolute errors of ~1e-7, large relative errors on gradients that nearly cancel (b1).
    # A wrong backward is off by far more than 1e-3.
    verdict = check_gradients(lambda: net.loss(x, t), net.params, grads, threshold=1e-3)
    assert verdict.passed, verdict.message


def test_network_interface_probabilities_shapes_and_model_files(tmp_path):
    rng = np.random.default_rng(9)
    for net, x in [(MultiLayerNet(784, [20], 15, dropout_ratio=0.5, seed=4), rng.random((7, 784))),
                   (ConvNet(conv_channels=(2, 2, 3, 3), hidden_size=8, seed=5), rng.random((7, 1, 28, 28)))]:
        x_before = x.copy()
        p = net.predict_proba(x)
        assert p.shape == (7, 15) and p.dtype.kind == "f"
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_array_equal(x, x_before)
        np.testing.assert_array_equal(net.predict(x), net.predict(x))  # test mode: no randomness
        assert 0.0 <= net.accuracy(x, np.arange(7), batch_size=3) <= 1.0
        assert net.param_shapes() == {k: v.shape for k, v in net.params.items()}
        path = save_model(tmp_path / "model.npz", net.params, architecture=net.architecture)
        loaded = load_model(path, expected_shapes=net.param_shapes())
        rebuilt = network_from_architecture(loaded["__architecture__"], seed=123)
        assert type(rebuilt) is type(net) and rebuilt.architecture == net.architecture
        rebuilt.load_params(loaded)
        np.testing.assert_allclose(rebuilt.predict_proba(x), p, rtol=1e-12)
        with pytest.raises(ValueError, match="shape"):
            rebuilt.load_params({k: np.zeros((1, 1)) for k in net.params})
    assert MultiLayerNet(10, [4], 3, seed=7).params["W1"].tobytes() == MultiLayerNet(10, [4], 3, seed=7).params["W1"].tobytes()
    assert ConvNet(dtype=np.float32).params["W1"].dtype == np.float32
    with pytest.raises(ValueError):
        network_from_architecture("__import__('os').system('true')")


@pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Momentum(0.05), lambda: AdaGrad(0.5), lambda: Adam(0.1)])
def test_optimizers_decrease_a_quadratic(make):
    rng = np.random.default_rng(10)
    A, c = rng.uniform(0.5, 2.0, size=(3, 4)), rng.normal(size=(3, 4))
    params = {"W": np.zeros((3, 4)), "b": np.ones(2)}
    f = lambda: 0.5 * np.sum(A * (params["W"] - c) ** 2) + 0.5 * np.sum(params["b"] ** 2)  # noqa: E731
    start, opt = f(), make()
    for _ in range(100):
        grads = {"W": A * (params["W"] - c), "b": params["b"].copy()}
        before = {k: v.copy() for k, v in grads.items()}
        opt.update(params, grads)
        assert all(np.array_equal(before[k], grads[k]) for k in grads)  # grads untouched
    assert f() < 0.05 * start


def test_adam_first_step_is_lr_times_sign():
    params = {"W": np.array([1.0, -2.0])}
    Adam(lr=0.1).update(params, {"W": np.array([3.0, -0.5])})
    np.testing.assert_allclose(params["W"], [0.9, -1.9], rtol=1e-6)


def test_augmentation_is_deterministic_and_keeps_shape_dtype_range():
    rng = np.random.default_rng(11)
    images = np.zeros((6, 28, 28), dtype=np.float32)
    images[:, 6:22, 12:16] = 1.0  # a bar
    images[:, 6:10, 6:22] = 0.8
    uint8 = np.round(images * 255).astype(np.uint8)
    funcs = [aug.random_affine, aug.elastic_distortion, aug.stroke_width, aug.add_noise, aug.katakana_augment]
    for x in (images, uint8):
        before = x.copy()
        for func in funcs:
            a = func(x, np.random.default_rng(5))
            b = func(x, np.random.default_rng(5))
            assert a.shape == x.shape and a.dtype == x.dtype, func.__name__
            np.testing.assert_array_equal(a, b, err_msg=func.__name__)
            assert a.min() >= 0 and a.max() <= (255 if x.dtype == np.uint8 else 1.0), func.__name__
            assert not np.array_equal(a, func(x, np.random.default_rng(6))), func.__name__
        np.testing.assert_array_equal(x, before)
    stretched = aug.crop_and_stretch(images)
    for img in aug.katakana_augment(images, rng, noise=False), stretched:
        for border in (img[:, 0, :], img[:, -1, :], img[:, :, 0], img[:, :, -1]):
            assert (border.max(axis=1) > 0.25).all()  # ink touches all four borders


def test_trainer_is_deterministic_and_records_history():
    rng = np.random.default_rng(12)
    x, t = rng.random((60, 10)), rng.integers(0, 3, 60)

    def run():
        net = MultiLayerNet(10, [8], 3, seed=0, dropout_ratio=0.2)
        trainer = Trainer(net, x[:50], t[:50], x[50:], t[50:], epochs=3, mini_batch_size=16, optimizer="adam",
                          optimizer_param={"lr": 0.01}, augment=lambda xb, r: xb + 0.01 * r.standard_normal(xb.shape),
                          lr_schedule=cosine_schedule, seed=3, verbose=False)
        history = trainer.train()
        return history, net

    (h1, n1), (h2, n2) = run(), run()
    assert len(h1["train_loss_list"]) == 3 * 4 and len(h1["train_acc_list"]) == 3 and len(h1["val_acc_list"]) == 3
    assert h1 == h2
    assert all(np.array_equal(n1.params[k], n2.params[k]) for k in n1.params)
    assert cosine_schedule(0, 10) == 1.0 and cosine_schedule(5, 10) == pytest.approx(0.5)
