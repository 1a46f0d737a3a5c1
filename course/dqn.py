"""Reference code of 8_5_deep_rl (深層強化学習): the replay buffer, the TD target, a Q-network from the course's
layers, a numpy DQN and REINFORCE with a baseline for CartPole (gymnasium).

``ReplayBuffer`` and ``td_target`` are graded in 8_5, so the grader hides this module from that notebook's
kernel; ``scripts/record_day8_dqn.py`` and the checks use it.

Conventions (stated in the notebook):
- ``ReplayBuffer(capacity)``: a ring buffer. The k-th ``push(state, action, reward, next_state, done)``
  (k = 0, 1, ...) is stored in slot ``k % capacity`` (the oldest transition is overwritten once full);
  ``len(buffer)`` = number of stored transitions (at most ``capacity``).
  ``sample(batch_size, rng)`` draws ``idx = rng.integers(len(self), size=batch_size)`` (with replacement,
  one call) and returns ``(states, actions, rewards, next_states, dones)`` for the slots ``idx`` in that
  order: float64 (B, D), int64 (B,), float64 (B,), float64 (B, D), float64 (B,) (1.0 = terminal).
- ``td_target(rewards, next_q_target, dones, gamma)`` = ``rewards + gamma * (1 - dones) * max_a next_q_target``
  with the max over the action axis (axis 1) of the target network's Q-values (B, A).
"""

from __future__ import annotations

import numpy as np

from course.layers import Affine, Relu


class ReplayBuffer:
    def __init__(self, capacity):
        self.capacity = int(capacity)
        self.states, self.actions, self.rewards, self.next_states, self.dones = [], [], [], [], []
        self.position = 0

    def push(self, state, action, reward, next_state, done):
        item = (np.array(state, dtype=np.float64), int(action), float(reward),
                np.array(next_state, dtype=np.float64), float(done))
        stores = (self.states, self.actions, self.rewards, self.next_states, self.dones)
        if len(self.states) < self.capacity:
            for store, value in zip(stores, item):
                store.append(value)
        else:
            for store, value in zip(stores, item):
                store[self.position] = value
        self.position = (self.position + 1) % self.capacity

    def __len__(self):
        return len(self.states)

    def sample(self, batch_size, rng):
        idx = rng.integers(len(self), size=batch_size)
        return (np.array([self.states[i] for i in idx], dtype=np.float64),
                np.array([self.actions[i] for i in idx], dtype=np.int64),
                np.array([self.rewards[i] for i in idx], dtype=np.float64),
                np.array([self.next_states[i] for i in idx], dtype=np.float64),
                np.array([self.dones[i] for i in idx], dtype=np.float64))


def td_target(rewards, next_q_target, dones, gamma):
    return rewards + gamma * (1.0 - dones) * np.max(next_q_target, axis=1)


class QNetwork:
    """Affine → ReLU → Affine → ReLU → Affine: state (B, D) → Q-values (B, A)."""

    def __init__(self, input_size, hidden_size, output_size, rng):
        sizes = [input_size, hidden_size, hidden_size, output_size]
        self.params = {}
        for i in range(3):
            self.params[f"W{i + 1}"] = rng.normal(size=(sizes[i], sizes[i + 1])) * np.sqrt(2.0 / sizes[i])
            self.params[f"b{i + 1}"] = np.zeros(sizes[i + 1])
        self.params["W3"] *= 0.1
        self.layers = [Affine(self.params["W1"], self.params["b1"]), Relu(),
                       Affine(self.params["W2"], self.params["b2"]), Relu(),
                       Affine(self.params["W3"], self.params["b3"])]

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, states, actions, targets):
        """0.5 * mean over the batch of (Q(s, a) - y)^2; keeps what backward needs."""
        q = self.predict(states)
        self._batch = (q, actions, targets)
        chosen = q[np.arange(len(actions)), actions]
        return 0.5 * float(np.mean((chosen - targets) ** 2))

    def gradient(self):
        """Gradients of the last ``loss`` w.r.t. the parameters (only the chosen actions get a gradient)."""
        q, actions, targets = self._batch
        dq = np.zeros_like(q)
        rows = np.arange(len(actions))
        dq[rows, actions] = (q[rows, actions] - targets) / len(actions)
        for layer in reversed(self.layers):
            dq = layer.backward(dq)
        grads = {}
        for i, k in enumerate((0, 2, 4)):
            grads[f"W{i + 1}"], grads[f"b{i + 1}"] = self.layers[k].dW, self.layers[k].db
        return grads

    def copy_params_to(self, other):
        for key in self.params:
            other.params[key][...] = self.params[key]


def _moving_average(x, width):
    x = np.asarray(x, dtype=np.float64)
    return np.array([x[max(0, i - width + 1):i + 1].mean() for i in range(len(x))])


def train_dqn(seed, n_steps=20000, hidden=64, buffer_size=20000, batch_size=64, gamma=0.99, lr=1e-3,
              eps_start=1.0, eps_end=0.05, eps_decay_steps=8000, warmup=1000, target_every=500,
              use_target=True, progress=None):
    """DQN on CartPole-v1 with numpy; returns the episode returns, the step at which each episode ended and the
    trained online network."""
    import gymnasium as gym

    from course.optimizers import Adam

    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    state, _ = env.reset(seed=seed)
    online = QNetwork(4, hidden, 2, rng)
    target = QNetwork(4, hidden, 2, rng)
    online.copy_params_to(target)
    optimizer = Adam(lr=lr)
    buffer = ReplayBuffer(buffer_size)
    returns, ends, episode_return = [], [], 0.0
    for step in range(n_steps):
        epsilon = max(eps_end, eps_start - (eps_start - eps_end) * step / eps_decay_steps)
        if rng.random() < epsilon:
            action = int(rng.integers(2))
        else:
            action = int(np.argmax(online.predict(state[None].astype(np.float64))[0]))
        next_state, reward, terminated, truncated, _ = env.step(action)
        buffer.push(state, action, reward, next_state, terminated)  # truncation is not a terminal state
        episode_return += reward
        state = next_state
        if terminated or truncated:
            returns.append(episode_return)
            ends.append(step + 1)
            episode_return = 0.0
            state, _ = env.reset()
        if len(buffer) >= warmup:
            s, a, r, s2, d = buffer.sample(batch_size, rng)
            next_q = (target if use_target else online).predict(s2)
            y = td_target(r, next_q, d, gamma)
            online.loss(s, a, y)
            optimizer.update(online.params, online.gradient())
            if use_target and (step + 1) % target_every == 0:
                online.copy_params_to(target)
        if progress is not None:
            progress.update(1)
    env.close()
    return np.array(returns), np.array(ends), online


def evaluate(network, seed, n_episodes=10):
    """Returns of the greedy policy (no exploration) of a Q-network over ``n_episodes`` episodes (at most 500)."""
    import gymnasium as gym

    env = gym.make("CartPole-v1")
    returns = []
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed + episode)
        total, done = 0.0, False
        while not done:
            action = int(np.argmax(network.predict(np.asarray(state, dtype=np.float64)[None])[0]))
            state, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
    env.close()
    return np.array(returns)


def reinforce(seed, n_episodes=600, lr=0.5, gamma=0.99, baseline=True, hidden=32):
    """REINFORCE (with a learned value baseline when ``baseline``) with a small softmax policy network."""
    import gymnasium as gym

    rng = np.random.default_rng(seed)
    env = gym.make("CartPole-v1")
    W1 = rng.normal(size=(4, hidden)) * 0.5
    b1 = np.zeros(hidden)
    W2 = rng.normal(size=(hidden, 2)) * 0.01
    b2 = np.zeros(2)
    v = np.zeros(hidden + 1)  # linear baseline on the hidden features
    returns = []
    for episode in range(n_episodes):
        state, _ = env.reset(seed=seed * 10000 + episode)
        hs, xs, actions, probs, rewards = [], [], [], [], []
        done = False
        while not done:
            x = np.asarray(state, dtype=np.float64)
            h = np.tanh(x @ W1 + b1)
            logits = h @ W2 + b2
            p = np.exp(logits - logits.max())
            p /= p.sum()
            action = int(rng.random() < p[1])
            state, reward, terminated, truncated, _ = env.step(action)
            done = terminated or truncated
            xs.append(x), hs.append(h), actions.append(action), probs.append(p), rewards.append(reward)
        G = np.zeros(len(rewards))
        running = 0.0
        for t in reversed(range(len(rewards))):
            running = rewards[t] + gamma * running
            G[t] = running
        X, H, P = np.array(xs), np.array(hs), np.array(probs)
        feats = np.hstack([H, np.ones((len(H), 1))])
        advantage = G - feats @ v if baseline else G.copy()
        if baseline:
            v += 0.05 * feats.T @ advantage / len(G)
        scale = advantage / 100.0  # returns of CartPole are up to about 100 with gamma = 0.99
        dlogits = -P.copy()
        dlogits[np.arange(len(actions)), actions] += 1.0  # d log pi(a|s) / d logits
        dlogits *= scale[:, None]
        dW2, db2 = H.T @ dlogits, dlogits.sum(axis=0)
        dh = dlogits @ W2.T * (1 - H ** 2)
        dW1, db1 = X.T @ dh, dh.sum(axis=0)
        n = len(G)
        for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            param += lr * grad / n  # gradient ascent on the expected return
        returns.append(sum(rewards))
    env.close()
    return np.array(returns)
