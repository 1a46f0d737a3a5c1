"""Hidden checks of 8_5_deep_rl: the experience replay buffer and the DQN TD target with terminal states.

Conventions stated in the notebook and tested here (the reference is ``course.dqn``):
- ``ReplayBuffer(capacity)``: the k-th ``push(state, action, reward, next_state, done)`` (k = 0, 1, ...) goes
  into slot ``k % capacity`` (the oldest transition is overwritten when full); ``len(buffer)`` is the number
  of stored transitions (at most ``capacity``). ``sample(batch_size, rng)`` makes exactly one draw,
  ``idx = rng.integers(len(self), size=batch_size)`` (with replacement), and returns
  ``(states, actions, rewards, next_states, dones)`` of the slots ``idx`` in that order as float64 (B, D),
  int64 (B,), float64 (B,), float64 (B, D), float64 (B,) (done: 1.0 terminal, 0.0 not).
- ``td_target(rewards, next_q_target, dones, gamma)``: ``rewards`` (B,), ``next_q_target`` (B, A) — the
  TARGET network's Q-values of the next states —, ``dones`` (B,) of 0.0/1.0 → float64 (B,)
  ``rewards + gamma * (1 - dones) * next_q_target.max(axis=1)``; inputs unchanged.
"""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, new
from course.dqn import ReplayBuffer as ReferenceReplayBuffer
from course.dqn import td_target as reference_td_target
from course.probe import Seeded

NOTEBOOK = "8_5_deep_rl"


# --------------------------------------------------------------------------- td_target mistakes
def _no_terminal(rewards, next_q_target, dones, gamma):
    return rewards + gamma * np.max(next_q_target, axis=1)


def _wrong_axis(rewards, next_q_target, dones, gamma):
    return rewards + gamma * (1.0 - dones) * np.max(next_q_target, axis=0)


def _no_discount(rewards, next_q_target, dones, gamma):
    return rewards + (1.0 - dones) * np.max(next_q_target, axis=1)


def _done_flipped(rewards, next_q_target, dones, gamma):
    return rewards + gamma * dones * np.max(next_q_target, axis=1)


def _mean_not_max(rewards, next_q_target, dones, gamma):
    return rewards + gamma * (1.0 - dones) * np.mean(next_q_target, axis=1)


def _terminal_drops_reward(rewards, next_q_target, dones, gamma):
    return (1.0 - dones) * (rewards + gamma * np.max(next_q_target, axis=1))


TD_MISTAKES = [
    Mistake("終端状態（dones が 1）でも次の状態の Q を足しています。エピソードが終わった遷移では目標は報酬だけです: "
            "rewards + gamma * (1 - dones) * max。", _no_terminal),
    Mistake("max をとる軸が違います。next_q_target は (バッチ, 行動) なので、行動についての最大値は axis=1 です"
            "（axis=0 はバッチの中の別の遷移どうしを比べてしまいます）。", _wrong_axis),
    Mistake("割引率 gamma を掛けていません。目標は rewards + gamma * (1 - dones) * max_a Q_target(s', a) です。", _no_discount),
    Mistake("dones の使い方が逆です。次の状態の値を足すのは終端でない（dones = 0）ときなので (1 - dones) を掛けます。",
            _done_flipped),
    Mistake("行動について平均をとっています。DQN の目標は次の状態での最大値 max_a Q_target(s', a) です。", _mean_not_max),
    Mistake("終端の遷移で報酬まで 0 にしています。(1 - dones) を掛けるのは次の状態の値の項だけで、報酬 rewards は必ず足します。",
            _terminal_drops_reward),
]

_rng = np.random.default_rng(8500)
q_sq = np.array([[1.0, 3.0, -2.0], [0.5, -1.0, 2.5], [4.0, 0.0, 1.0]])  # B = A = 3: axis mistakes show as values
r3 = np.array([1.0, -1.0, 0.5])
TD_VISIBLE = [
    Case("3 遷移（終端なし）、3 行動、gamma = 0.9", (r3, q_sq, np.zeros(3), 0.9)),
    Case("3 遷移（真ん中が終端）、3 行動、gamma = 0.99", (r3, q_sq, np.array([0.0, 1.0, 0.0]), 0.99)),
    Case("5 遷移（2 つが終端）、2 行動、gamma = 0.95",
         (np.ones(5), _rng.normal(size=(5, 2)) * 3, np.array([0.0, 0.0, 1.0, 0.0, 1.0]), 0.95)),
]
TD_HIDDEN = [
    Case("4 遷移（すべて終端）、4 行動、gamma = 0.99", (_rng.normal(size=4), _rng.normal(size=(4, 4)),
                                                 np.ones(4), 0.99)),
    Case("64 遷移（CartPole の大きさ、約 1 割が終端）、2 行動、gamma = 0.99",
         (np.ones(64), _rng.normal(size=(64, 2)) * 10, (_rng.random(64) < 0.1).astype(np.float64), 0.99)),
    Case("6 遷移、6 行動（正方形）、gamma = 0.5", (_rng.normal(size=6), _rng.normal(size=(6, 6)),
                                           np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0]), 0.5)),
    Case("1 遷移、3 行動、gamma = 0（報酬だけ）", (np.array([2.0]), np.array([[1.0, 5.0, 3.0]]), np.zeros(1), 0.0)),
]


# --------------------------------------------------------------------------- ReplayBuffer mistakes
class _NoOverwrite(ReferenceReplayBuffer):
    """Keeps appending: grows beyond capacity."""

    def push(self, state, action, reward, next_state, done):
        for store, value in zip((self.states, self.actions, self.rewards, self.next_states, self.dones),
                                (np.array(state, dtype=np.float64), int(action), float(reward),
                                 np.array(next_state, dtype=np.float64), float(done))):
            store.append(value)


class _DropsNewest(ReferenceReplayBuffer):
    """Ignores new transitions once full."""

    def push(self, state, action, reward, next_state, done):
        if len(self) < self.capacity:
            super().push(state, action, reward, next_state, done)


class _Fifo(ReferenceReplayBuffer):
    """Drops the oldest with pop(0) and appends: the right content, but slots shift (not a ring buffer)."""

    def push(self, state, action, reward, next_state, done):
        stores = (self.states, self.actions, self.rewards, self.next_states, self.dones)
        if len(self) == self.capacity:
            for store in stores:
                store.pop(0)
        for store, value in zip(stores, (np.array(state, dtype=np.float64), int(action), float(reward),
                                         np.array(next_state, dtype=np.float64), float(done))):
            store.append(value)


class _FromCapacity(ReferenceReplayBuffer):
    def sample(self, batch_size, rng):
        idx = rng.integers(self.capacity, size=batch_size) % len(self)
        return self._gather(idx)

    def _gather(self, idx):
        return (np.array([self.states[i] for i in idx], dtype=np.float64),
                np.array([self.actions[i] for i in idx], dtype=np.int64),
                np.array([self.rewards[i] for i in idx], dtype=np.float64),
                np.array([self.next_states[i] for i in idx], dtype=np.float64),
                np.array([self.dones[i] for i in idx], dtype=np.float64))


class _WithoutReplacement(_FromCapacity):
    def sample(self, batch_size, rng):
        return self._gather(rng.choice(len(self), size=batch_size, replace=False))


class _GlobalRandom(_FromCapacity):
    def sample(self, batch_size, rng):
        return self._gather(np.random.randint(len(self), size=batch_size))


class _SwappedOrder(_FromCapacity):
    def sample(self, batch_size, rng):
        s, a, r, s2, d = super(_FromCapacity, self).sample(batch_size, rng)
        return s, a, r, s2, 1.0 - d


BUFFER_MISTAKES = [
    Mistake("容量 capacity を超えても追加し続けています。いっぱいになったら、いちばん古い遷移の入っていた場所"
            "（k 回目の push なら k % capacity 番目）を上書きします。", _NoOverwrite),
    Mistake("いっぱいになったあとの新しい遷移を捨てています。新しい遷移で、いちばん古い遷移（k % capacity 番目）を上書きします。",
            _DropsNewest),
    Mistake("いっぱいになったときに先頭を取り除いて末尾に足しているため、遷移の入っている場所（番号）がずれています。"
            "このノートブックのバッファはリングバッファで、k 回目の push は k % capacity 番目の場所に入ります"
            "（sample の番号 idx はこの場所の番号です）。", _Fifo),
    Mistake("rng.integers(capacity, ...) のように容量から番号を引いています。引くのは今入っている数 len(self) からです: "
            "rng.integers(len(self), size=batch_size)。", _FromCapacity),
    Mistake("rng.choice(..., replace=False) で重複なしに引いています。このノートブックでは "
            "rng.integers(len(self), size=batch_size) で（重複を許して）1 回で引きます。", _WithoutReplacement),
    Mistake("rng ではなく numpy 全体の乱数（np.random.randint など）を使っています。番号は引数の rng から "
            "rng.integers(len(self), size=batch_size) で引きます。", _GlobalRandom),
    Mistake("dones の値が逆です。終端の遷移（done が True）が 1.0、そうでない遷移が 0.0 です。", _SwappedOrder),
]


def _transition(k, dim=4):
    state = np.round(np.linspace(-1, 1, dim) * (k + 1) * 0.1 + k, 3)
    return (state, k % 2, float(k % 5) - 1.0, state + 0.5, k % 4 == 3)


def _buffer_scenario(label, capacity, n_push, samples, dim=4):
    steps = [new(capacity)]
    for k in range(n_push):
        steps.append(call("push", *_transition(k, dim), record=False))
    steps.append(call("__len__", label=f"{n_push} 回 push したあとの len(buffer)"))
    for batch_size, seed in samples:
        steps.append(call("sample", batch_size, Seeded(seed),
                          label=f"{n_push} 回 push したあとの sample({batch_size}, np.random.default_rng({seed}))"))
    return Scenario(label, steps)


BUFFER_VISIBLE = [
    _buffer_scenario("容量 10 に 6 回 push して 4 個引く", 10, 6, [(4, 0)]),
    _buffer_scenario("容量 4 に 7 回 push（古い 3 つを上書き）して 6 個引く", 4, 7, [(6, 1)]),
    _buffer_scenario("容量 5 にちょうど 5 回 push して 8 個を 2 回引く", 5, 5, [(8, 2), (8, 3)]),
]
BUFFER_HIDDEN = BUFFER_VISIBLE + [
    _buffer_scenario("容量 3 に 10 回 push して 4 個引く", 3, 10, [(4, 11)]),
    _buffer_scenario("容量 100 に 20 回 push して 32 個引く（状態は 2 次元）", 100, 20, [(32, 12)], dim=2),
    _buffer_scenario("容量 1 に 4 回 push して 3 個引く（最後の遷移だけが残る）", 1, 4, [(3, 13)]),
]

CHECKS = {
    "replay_buffer_ring": [ClassCheck(function="ReplayBuffer", reference=ReferenceReplayBuffer, scenarios=BUFFER_HIDDEN,
                                      visible=BUFFER_VISIBLE, mistakes=BUFFER_MISTAKES, rtol=0.0, atol=0.0)],
    "td_target_values": [FunctionCheck(function="td_target", reference=reference_td_target, dtype="float",
                                       returns="array", rtol=1e-12, atol=1e-12, visible=TD_VISIBLE, cases=TD_VISIBLE + TD_HIDDEN,
                                       mistakes=TD_MISTAKES)],
}
