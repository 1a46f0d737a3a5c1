"""Reference time layers of course.time_layers / time_embedding / time_loss / time_rnn / time_gru / time_lstm: every backward
proven against numerical gradients, including the hidden state passed between truncated blocks."""

import numpy as np
import pytest

from course.gradient_check import check_gradients
from course.time_gru import GRU, TimeGRU
from course.time_embedding import TimeEmbedding
from course.time_layers import TimeAffine, TimeSquaredLoss, adding_problem, clip_grad_norm
from course.time_loss import TimeSoftmaxWithLoss
from course.time_lstm import LSTM, TimeLSTM
from course.time_rnn import RNN, TimeRNN

N, T, D, H = 3, 5, 4, 3
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}
CELLS = {"RNN": RNN, "GRU": GRU, "LSTM": LSTM}
TIME = {"RNN": TimeRNN, "GRU": TimeGRU, "LSTM": TimeLSTM}


def _params(kind, seed=0):
    rng = np.random.default_rng(seed)
    k = GATES[kind]
    return rng.normal(size=(D, k * H)) * 0.7, rng.normal(size=(H, k * H)) * 0.7, rng.normal(size=k * H) * 0.3


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_cell_backward_matches_numerical_gradients(kind):
    rng = np.random.default_rng(1)
    Wx, Wh, b = _params(kind)
    x, h = rng.normal(size=(N, D)), rng.normal(size=(N, H)) * 0.5
    dh_next = rng.normal(size=(N, H))
    layer = CELLS[kind](Wx, Wh, b)
    layer.forward(x, h)
    before = dh_next.copy()
    dx, dh_prev = layer.backward(dh_next)
    np.testing.assert_array_equal(dh_next, before)

    def loss():
        return float(np.sum(CELLS[kind](Wx, Wh, b).forward(x, h) * dh_next))

    verdict = check_gradients(loss, {"x": x, "h_prev": h, "Wx": Wx, "Wh": Wh, "b": b},
                              {"x": dx, "h_prev": dh_prev, "Wx": layer.grads[0], "Wh": layer.grads[1],
                               "b": layer.grads[2]})
    assert verdict.passed, verdict.message


def test_lstm_cell_backward_matches_numerical_gradients():
    rng = np.random.default_rng(2)
    Wx, Wh, b = _params("LSTM")
    x, h, c = rng.normal(size=(N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dh, dc = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    layer = LSTM(Wx, Wh, b)
    layer.forward(x, h, c)
    dx, dh_prev, dc_prev = layer.backward(dh, dc)

    def loss():
        h_next, c_next = LSTM(Wx, Wh, b).forward(x, h, c)
        return float(np.sum(h_next * dh) + np.sum(c_next * dc))

    verdict = check_gradients(loss, {"x": x, "h_prev": h, "c_prev": c, "Wx": Wx, "Wh": Wh, "b": b},
                              {"x": dx, "h_prev": dh_prev, "c_prev": dc_prev, "Wx": layer.grads[0],
                               "Wh": layer.grads[1], "b": layer.grads[2]})
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_time_layer_backward_with_a_given_first_state(kind):
    """Gradients of the weights, the inputs and the first hidden state (kept in ``dh``)."""
    rng = np.random.default_rng(3)
    Wx, Wh, b = _params(kind)
    xs, h0, dhs = rng.normal(size=(N, T, D)), rng.normal(size=(N, H)) * 0.5, rng.normal(size=(N, T, H))
    layer = TIME[kind](Wx, Wh, b, stateful=True)
    layer.set_state(h0)
    layer.forward(xs)
    before = dhs.copy()
    dxs = layer.backward(dhs)
    np.testing.assert_array_equal(dhs, before)

    def loss():
        fresh = TIME[kind](Wx, Wh, b, stateful=True)
        fresh.set_state(h0)
        return float(np.sum(fresh.forward(xs) * dhs))

    verdict = check_gradients(loss, {"xs": xs, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b},
                              {"xs": dxs, "h0": layer.dh, "Wx": layer.grads[0], "Wh": layer.grads[1],
                               "b": layer.grads[2]})
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("kind", ["RNN", "GRU"])
def test_truncated_blocks_chain_to_the_full_gradient(kind):
    """Two stateful blocks: block 2's truncated gradients plus block 1's backward that receives
    block 2's ``dh`` at its last step equal the gradient of the whole 2T-step sequence."""
    rng = np.random.default_rng(4)
    Wx, Wh, b = _params(kind)
    xs = rng.normal(size=(N, 2 * T, D))
    dhs = rng.normal(size=(N, 2 * T, H))
    first, second = TIME[kind](Wx, Wh, b, stateful=True), TIME[kind](Wx, Wh, b, stateful=True)
    first.forward(xs[:, :T])
    second.set_state(first.h)
    second.forward(xs[:, T:])
    dxs2 = second.backward(dhs[:, T:])
    grads2 = [g.copy() for g in second.grads]
    d_first = dhs[:, :T].copy()
    d_first[:, -1] += second.dh
    dxs1 = first.backward(d_first)

    def loss():
        return float(np.sum(TIME[kind](Wx, Wh, b).forward(xs) * dhs))

    verdict = check_gradients(loss, {"xs": xs, "Wx": Wx, "Wh": Wh, "b": b},
                              {"xs": np.concatenate([dxs1, dxs2], axis=1),
                               **{name: g1 + g2 for name, g1, g2 in zip(["Wx", "Wh", "b"], first.grads, grads2)}})
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
def test_stateful_carries_the_state_and_stateless_does_not(kind):
    rng = np.random.default_rng(5)
    Wx, Wh, b = _params(kind)
    xs = rng.normal(size=(N, 2 * T, D))
    whole = TIME[kind](Wx, Wh, b).forward(xs)
    stateful = TIME[kind](Wx, Wh, b, stateful=True)
    blocks = np.concatenate([stateful.forward(xs[:, :T]), stateful.forward(xs[:, T:])], axis=1)
    np.testing.assert_allclose(blocks, whole, rtol=1e-12)
    stateless = TIME[kind](Wx, Wh, b)
    stateless.forward(xs[:, :T])
    np.testing.assert_allclose(stateless.forward(xs[:, T:]), TIME[kind](Wx, Wh, b).forward(xs[:, T:]), rtol=1e-12)
    stateful.reset_state()
    np.testing.assert_allclose(stateful.forward(xs[:, :T]), whole[:, :T], rtol=1e-12)


def test_helper_layers_match_numerical_gradients():
    rng = np.random.default_rng(6)
    V, Dm = 6, 3
    W_embed = rng.normal(size=(V, Dm))
    ids = np.array([[0, 2, 2, 5], [2, 1, 0, 2]])  # repeated ids accumulate
    d_embed = rng.normal(size=(2, 4, Dm))
    embed = TimeEmbedding(W_embed)
    embed.forward(ids)
    embed.backward(d_embed)
    verdict = check_gradients(lambda: float(np.sum(TimeEmbedding(W_embed).forward(ids) * d_embed)),
                              {"W": W_embed}, {"W": embed.grads[0]})
    assert verdict.passed, verdict.message

    W, bias = rng.normal(size=(Dm, V)), rng.normal(size=V)
    hs = rng.normal(size=(2, 4, Dm))
    ts = np.array([[1, 0, -1, 5], [2, 2, 3, -1]])  # -1: ignored
    affine, loss_layer = TimeAffine(W, bias), TimeSoftmaxWithLoss()
    loss_layer.forward(affine.forward(hs), ts)
    dhs = affine.backward(loss_layer.backward())

    def loss():
        return TimeSoftmaxWithLoss().forward(TimeAffine(W, bias).forward(hs), ts)

    verdict = check_gradients(loss, {"hs": hs, "W": W, "b": bias},
                              {"hs": dhs, "W": affine.grads[0], "b": affine.grads[1]})
    assert verdict.passed, verdict.message
    # the mean is over the 6 positions that count
    scores = np.zeros((1, 2, 3))
    assert TimeSoftmaxWithLoss().forward(scores, np.array([[0, -1]])) == pytest.approx(np.log(3))

    ys, targets = rng.normal(size=(2, 4, 1)), rng.normal(size=(2, 4, 1))
    mask = np.zeros((1, 4, 1))
    mask[0, -1] = 1
    sq = TimeSquaredLoss()
    sq.forward(ys, targets, mask)
    verdict = check_gradients(lambda: TimeSquaredLoss().forward(ys, targets, mask), {"ys": ys},
                              {"ys": sq.backward()})
    assert verdict.passed, verdict.message


def test_clip_grad_norm_and_adding_problem():
    grads = [np.array([3.0, 0.0]), np.array([[4.0]])]
    assert clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    assert np.sqrt(sum(np.sum(g ** 2) for g in grads)) == pytest.approx(1.0, rel=1e-5)
    xs, ts = adding_problem(50, 10, np.random.default_rng(0))
    assert xs.shape == (50, 10, 2) and ts.shape == (50,)
    np.testing.assert_array_equal(xs[:, :, 1].sum(axis=1), 2)
    np.testing.assert_allclose((xs[:, :, 0] * xs[:, :, 1]).sum(axis=1), ts)


def test_each_recurrent_notebook_hides_only_its_own_reference_module():
    """The module split: grading 6.2 hides course.time_rnn only, 6.3 course.time_lstm, time_embedding and time_loss
    (it grades those three; modules that import them go too), 6.4 course.time_gru only, so 6.4 can import the RNN and LSTM references and every notebook the shared helpers of course.time_layers."""
    from autograder.course_view import hidden_modules

    assert hidden_modules("6_2_simple_rnn") == ["time_rnn.py"]
    # 6.3 grades the classes of these three; DAY7 modules built on them are hidden too, and 6.3 imports none of them
    assert {"time_embedding.py", "time_loss.py", "time_lstm.py"} <= set(hidden_modules("6_3_lstm"))
    assert not {"time_layers.py", "time_rnn.py", "time_gru.py", "corpus.py"} & set(hidden_modules("6_3_lstm"))
    assert hidden_modules("6_4_gru") == ["time_gru.py"]
