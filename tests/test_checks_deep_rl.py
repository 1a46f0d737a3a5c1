"""The checks of 8_5_deep_rl: right answers pass, typical mistakes fail with a hint (in the grader and in the
notebook's self-check: the judge_code fixture proves both); the Q-network's backward (from the course's layers)
is proven against numerical gradients."""

import numpy as np
import pytest

NB = "8_5_deep_rl"

BUFFER = '''
class ReplayBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.memory = []
        self.position = 0

    def push(self, state, action, reward, next_state, done):
        item = (np.array(state, dtype=np.float64), int(action), float(reward), np.array(next_state, dtype=np.float64),
                float(done))
        if len(self.memory) < self.capacity:
            self.memory.append(item)
        else:
            self.memory[self.position] = item
        self.position = (self.position + 1) % self.capacity

    def __len__(self):
        return len(self.memory)

    def sample(self, batch_size, rng):
        idx = rng.integers(len(self.memory), size=batch_size)
        batch = [self.memory[i] for i in idx]
        states = np.array([b[0] for b in batch])
        actions = np.array([b[1] for b in batch], dtype=np.int64)
        rewards = np.array([b[2] for b in batch])
        next_states = np.array([b[3] for b in batch])
        dones = np.array([b[4] for b in batch])
        return states, actions, rewards, next_states, dones
'''
BUFFER_ARRAYS = '''
class ReplayBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.count = 0
        self.states = None

    def push(self, state, action, reward, next_state, done):
        state = np.asarray(state, dtype=np.float64)
        if self.states is None:
            self.states = np.zeros((self.capacity, state.size))
            self.next_states = np.zeros((self.capacity, state.size))
            self.actions = np.zeros(self.capacity, dtype=np.int64)
            self.rewards = np.zeros(self.capacity)
            self.dones = np.zeros(self.capacity)
        i = self.count % self.capacity
        self.states[i], self.actions[i], self.rewards[i] = state, action, reward
        self.next_states[i], self.dones[i] = next_state, float(done)
        self.count += 1

    def __len__(self):
        return min(self.count, self.capacity)

    def sample(self, batch_size, rng):
        idx = rng.integers(len(self), size=batch_size)
        return (self.states[idx].copy(), self.actions[idx].copy(), self.rewards[idx].copy(),
                self.next_states[idx].copy(), self.dones[idx].copy())
'''
TD = '''
def td_target(rewards, next_q_target, dones, gamma):
    return rewards + gamma * (1.0 - dones) * np.max(next_q_target, axis=1)
'''
TD_WHERE = '''
def td_target(rewards, next_q_target, dones, gamma):
    best = next_q_target.max(axis=1)
    return np.where(dones == 1.0, rewards, rewards + gamma * best).astype(np.float64)
'''
CORRECT = {
    "replay_buffer_ring": {"list of tuples": BUFFER, "preallocated arrays": BUFFER_ARRAYS},
    "td_target_values": {"mask": TD, "where": TD_WHERE},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "buffer: grows beyond capacity": (_replace(BUFFER, "if len(self.memory) < self.capacity:", "if True:"),
                                      "replay_buffer_ring", "容量 capacity を超えても"),
    "buffer: drops new transitions": (_replace(BUFFER, "            self.memory[self.position] = item\n",
                                               "            pass\n"), "replay_buffer_ring", "新しい遷移を捨てています"),
    "buffer: pop(0) and append": (_replace(BUFFER, '''        if len(self.memory) < self.capacity:
            self.memory.append(item)
        else:
            self.memory[self.position] = item''', '''        if len(self.memory) == self.capacity:
            self.memory.pop(0)
        self.memory.append(item)'''), "replay_buffer_ring", "場所（番号）がずれています"),
    "buffer: indices from the capacity": (_replace(BUFFER, "rng.integers(len(self.memory), size=batch_size)",
                                                   "rng.integers(self.capacity, size=batch_size) % len(self.memory)"),
                                          "replay_buffer_ring", "容量から番号を引いています"),
    "buffer: without replacement": (_replace(BUFFER, "rng.integers(len(self.memory), size=batch_size)",
                                             "rng.choice(len(self.memory), size=batch_size, replace=False)"),
                                    "replay_buffer_ring", "重複なしに引いています"),
    "buffer: global RNG": (_replace(BUFFER, "rng.integers(len(self.memory), size=batch_size)",
                                    "np.random.randint(len(self.memory), size=batch_size)"),
                           "replay_buffer_ring", "numpy 全体の乱数"),
    "buffer: dones inverted": (_replace(BUFFER, "float(done))", "float(not done))"), "replay_buffer_ring",
                               "dones の値が逆です"),
    "td: bootstraps at terminal states": (_replace(TD, "(1.0 - dones) * ", ""), "td_target_values", "終端状態"),
    "td: max over the batch axis": (_replace(TD, "axis=1", "axis=0"), "td_target_values", "max をとる軸が違います"),
    "td: no discount": (_replace(TD, "gamma * ", ""), "td_target_values", "割引率 gamma を掛けていません"),
    "td: dones flipped": (_replace(TD, "(1.0 - dones)", "dones"), "td_target_values", "dones の使い方が逆"),
    "td: mean": (_replace(TD, "np.max(", "np.mean("), "td_target_values", "平均"),
    "td: reward dropped at terminal": (
        "def td_target(rewards, next_q_target, dones, gamma):\n"
        "    return (1 - dones) * (rewards + gamma * next_q_target.max(axis=1))\n", "td_target_values", "報酬まで 0"),
    "td: in place": ("def td_target(rewards, next_q_target, dones, gamma):\n"
                     "    rewards += gamma * (1.0 - dones) * next_q_target.max(axis=1)\n    return rewards\n",
                     "td_target_values", "書き換えられています"),
}
STUBS = {
    "replay_buffer_ring": '''
class ReplayBuffer:
    def __init__(self, capacity):
        raise NotImplementedError()

    def push(self, state, action, reward, next_state, done):
        raise NotImplementedError()

    def __len__(self):
        raise NotImplementedError()

    def sample(self, batch_size, rng):
        raise NotImplementedError()
''',
    "td_target_values": "def td_target(rewards, next_q_target, dones, gamma):\n    raise NotImplementedError()\n",
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


def test_q_network_backward_matches_numerical_gradients():
    """The DQN loss 0.5 * mean((Q(s, a) - y)^2) only sends gradient through the chosen actions' outputs."""
    from course.dqn import QNetwork
    from course.gradient_check import check_gradients

    rng = np.random.default_rng(0)
    net = QNetwork(4, 6, 3, rng)
    for key in net.params:  # non-zero biases so that every ReLU path is exercised
        net.params[key] += rng.normal(size=net.params[key].shape) * 0.1
    states, actions, targets = rng.normal(size=(5, 4)), np.array([0, 2, 1, 2, 0]), rng.normal(size=5)
    net.loss(states, actions, targets)
    grads = {k: v.copy() for k, v in net.gradient().items()}
    verdict = check_gradients(lambda: net.loss(states, actions, targets), net.params, grads)
    assert verdict.passed, verdict.message
    # the gradient w.r.t. the output is zero for the actions that were not taken
    q = net.predict(states)
    dq = np.zeros_like(q)
    dq[np.arange(5), actions] = (q[np.arange(5), actions] - targets) / 5
    assert np.count_nonzero(dq) == 5


def test_td_target_uses_the_given_target_values_only():
    """td_target reads the target network's Q-values it is given: a frozen target gives a stable target while the
    online network changes (the reason for the target network)."""
    from course.dqn import QNetwork, td_target

    rng = np.random.default_rng(1)
    online, target = QNetwork(4, 8, 2, rng), QNetwork(4, 8, 2, rng)
    online.copy_params_to(target)
    s2, r, d = rng.normal(size=(6, 4)), np.ones(6), np.array([0, 0, 1, 0, 0, 1.0])
    before = td_target(r, target.predict(s2), d, 0.99)
    online.params["W3"] += 1.0  # an update of the online network
    assert np.allclose(td_target(r, target.predict(s2), d, 0.99), before)
    assert not np.allclose(td_target(r, online.predict(s2), d, 0.99), before)
    assert np.allclose(before[d == 1], 1.0)
