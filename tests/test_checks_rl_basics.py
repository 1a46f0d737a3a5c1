"""The checks of 8_4_rl_basics: right answers pass, typical mistakes fail with a hint (in the grader and in
the notebook's self-check: the judge_code fixture proves both); the grid world's model is consistent with
its sampled steps."""

import numpy as np
import pytest

NB = "8_4_rl_basics"

EVAL = '''
def policy_evaluation(P, R, policy, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        Q = R + gamma * P @ V
        V = np.sum(policy * Q, axis=1)
    return V
'''
EVAL_LOOPS = '''
def policy_evaluation(P, R, policy, gamma, n_sweeps):
    S, A = R.shape
    V = np.zeros(S)
    for _ in range(n_sweeps):
        V_new = np.zeros(S)
        for s in range(S):
            for a in range(A):
                V_new[s] += policy[s, a] * (R[s, a] + gamma * np.dot(P[s, a], V))
        V = V_new
    return V
'''
EVAL_EINSUM = '''
def policy_evaluation(P, R, policy, gamma, n_sweeps):
    V = np.zeros(len(R), dtype=np.float64)
    for sweep in range(n_sweeps):
        V = np.einsum("sa,sa->s", policy, R) + gamma * np.einsum("sa,sat,t->s", policy, P, V)
    return V
'''
VI = '''
def value_iteration(P, R, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.max(R + gamma * P @ V, axis=1)
    return V
'''
VI_LOOPS = '''
def value_iteration(P, R, gamma, n_sweeps):
    S, A = R.shape
    V = np.zeros(S)
    for _ in range(n_sweeps):
        old = V.copy()
        for s in range(S):
            V[s] = max(R[s, a] + gamma * P[s, a] @ old for a in range(A))
    return V
'''
EG = '''
def epsilon_greedy(Q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    return int(np.argmax(Q_row))
'''
EG_NUMPY_INT = '''
def epsilon_greedy(Q_row, epsilon, rng):
    u = rng.random()
    explore = u < epsilon
    if explore:
        return rng.integers(0, Q_row.shape[0])
    best = Q_row.max()
    return np.flatnonzero(Q_row == best)[0]
'''
QL = '''
def q_learning_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    target = r if done else r + gamma * np.max(Q[s_next])
    Q_new = np.array(Q, dtype=np.float64)
    Q_new[s, a] += alpha * (target - Q_new[s, a])
    return Q_new
'''
QL_OTHER = '''
def q_learning_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    Q_new = Q.astype(np.float64)
    bootstrap = 0.0 if done else Q[s_next].max()
    td_error = r + gamma * bootstrap - Q[s, a]
    Q_new[s, a] = Q[s, a] + alpha * td_error
    return Q_new
'''
SARSA = '''
def sarsa_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    target = r if done else r + gamma * Q[s_next, a_next]
    Q_new = np.array(Q, dtype=np.float64)
    Q_new[s, a] += alpha * (target - Q_new[s, a])
    return Q_new
'''
SARSA_OTHER = '''
def sarsa_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    Q_new = Q.astype(float)
    Q_new[s, a] = (1 - alpha) * Q[s, a] + alpha * (r + (0.0 if done else gamma * Q[s_next][a_next]))
    return Q_new
'''
CORRECT = {
    "policy_evaluation_values": {"matrix": EVAL, "loops": EVAL_LOOPS, "einsum": EVAL_EINSUM},
    "value_iteration_values": {"matrix": VI, "loops with a copy": VI_LOOPS},
    "epsilon_greedy_draws": {"book": EG, "numpy integers": EG_NUMPY_INT},
    "q_learning_update_values": {"target": QL, "td error": QL_OTHER},
    "sarsa_update_values": {"target": SARSA, "convex combination": SARSA_OTHER},
}


def _replace(code, old, new):
    assert old in code, old
    return code.replace(old, new)


WRONG = {
    "evaluation: no discount": (_replace(EVAL, "R + gamma * P @ V", "R + P @ V"), "policy_evaluation_values",
                                "割引率 gamma を掛けていません"),
    "evaluation: in place": ('''
def policy_evaluation(P, R, policy, gamma, n_sweeps):
    S, A = R.shape
    V = np.zeros(S)
    for _ in range(n_sweeps):
        for s in range(S):
            V[s] = sum(policy[s, a] * (R[s, a] + gamma * P[s, a] @ V) for a in range(A))
    return V
''', "policy_evaluation_values", "その場で"),
    "evaluation: max instead of the policy": (_replace(EVAL, "np.sum(policy * Q, axis=1)", "np.max(Q, axis=1)"),
                                              "policy_evaluation_values", "価値反復法"),
    "evaluation: uniform mean": (_replace(EVAL, "np.sum(policy * Q, axis=1)", "np.mean(Q, axis=1)"),
                                 "policy_evaluation_values", "単純平均"),
    "evaluation: discounted reward": (_replace(EVAL, "R + gamma * P @ V", "gamma * (R + P @ V)"),
                                      "policy_evaluation_values", "報酬にも gamma"),
    "value iteration: no discount": (_replace(VI, "R + gamma * P @ V", "R + P @ V"), "value_iteration_values",
                                     "割引率 gamma を掛けていません"),
    "value iteration: in place": (_replace(VI_LOOPS, "gamma * P[s, a] @ old", "gamma * P[s, a] @ V"),
                                  "value_iteration_values", "その場で"),
    "value iteration: mean": (_replace(VI, "np.max(", "np.mean("), "value_iteration_values", "平均をとっています"),
    "value iteration: discounted reward": (_replace(VI, "R + gamma * P @ V", "gamma * (R + P @ V)"),
                                           "value_iteration_values", "報酬にも gamma"),
    "value iteration: max over next states": (_replace(VI, "R + gamma * P @ V", "R + gamma * np.max(P * V, axis=2)"),
                                              "value_iteration_values", "max をとるのは行動 a についてだけ"),
    "epsilon-greedy: never explores": (_replace(EG, "if rng.random() < epsilon:", "if rng.random() < 0.0:"),
                                       "epsilon_greedy_draws", "探索していません"),
    "epsilon-greedy: never explores, no draw": ("def epsilon_greedy(Q_row, epsilon, rng):\n    return int(np.argmax(Q_row))\n",
                                                "epsilon_greedy_draws", "探索していません"),
    "epsilon-greedy: greedy excluded": ('''
def epsilon_greedy(Q_row, epsilon, rng):
    best = int(np.argmax(Q_row))
    if rng.random() < epsilon:
        others = [a for a in range(len(Q_row)) if a != best]
        return int(others[rng.integers(len(others))])
    return best
''', "epsilon_greedy_draws", "貪欲な行動を候補から外しています"),
    "epsilon-greedy: inverted": (_replace(EG, "rng.random() < epsilon", "rng.random() > epsilon"),
                                 "epsilon_greedy_draws", "不等号が逆"),
    "epsilon-greedy: integer first": ('''
def epsilon_greedy(Q_row, epsilon, rng):
    random_action = int(rng.integers(len(Q_row)))
    if rng.random() < epsilon:
        return random_action
    return int(np.argmax(Q_row))
''', "epsilon_greedy_draws", "乱数を引く順番が違います"),
    "epsilon-greedy: both draws every time": ('''
def epsilon_greedy(Q_row, epsilon, rng):
    u, random_action = rng.random(), int(rng.integers(len(Q_row)))
    return random_action if u < epsilon else int(np.argmax(Q_row))
''', "epsilon_greedy_draws", "探索しないときにも rng.integers"),
    "epsilon-greedy: argmin": (_replace(EG, "np.argmax", "np.argmin"), "epsilon_greedy_draws", "np.argmin"),
    "epsilon-greedy: global RNG": ('''
def epsilon_greedy(Q_row, epsilon, rng):
    if np.random.random() < epsilon:
        return int(np.random.randint(len(Q_row)))
    return int(np.argmax(Q_row))
''', "epsilon_greedy_draws", "numpy 全体の乱数"),
}


def _td_wrong(code, grade_id, name):
    body = {
        "no discount": (("r + gamma * np.max(Q[s_next])", "r + np.max(Q[s_next])")
                        if name == "q" else ("r + gamma * Q[s_next, a_next]", "r + Q[s_next, a_next]"),
                        "割引率 gamma を掛けていません"),
        "bootstraps at a terminal state": (("r if done else r + gamma", "r + gamma"), "終端状態"),
        "other algorithm": (("np.max(Q[s_next])", "Q[s_next, a_next]") if name == "q"
                            else ("Q[s_next, a_next]", "np.max(Q[s_next])"),
                            "SARSA の更新になっています" if name == "q" else "Q-learning の更新になっています"),
        "current state": (("np.max(Q[s_next])", "np.max(Q[s])") if name == "q" else ("Q[s_next, a_next]", "Q[s, a_next]"),
                          "今の状態 s の Q"),
        "replaced": (("Q_new[s, a] += alpha * (target - Q_new[s, a])", "Q_new[s, a] = target"), "置き換えています"),
        "sign": (("Q_new[s, a] += alpha", "Q_new[s, a] -= alpha"), "符号が逆"),
        "whole row": (("Q_new[s, a] += alpha * (target - Q_new[s, a])", "Q_new[s] += alpha * (target - Q_new[s])"),
                      "行全体"),
        "in place": (("Q_new = np.array(Q, dtype=np.float64)", "Q_new = Q"), "書き換えられています"),
    }
    return {f"{name}: {k}": (_replace(code, *old_new), grade_id, words) for k, (old_new, words) in body.items()}


WRONG.update(_td_wrong(QL, "q_learning_update_values", "q"))
WRONG.update(_td_wrong(SARSA, "sarsa_update_values", "sarsa"))

STUBS = {
    "policy_evaluation_values": "def policy_evaluation(P, R, policy, gamma, n_sweeps):\n    raise NotImplementedError()\n",
    "value_iteration_values": "def value_iteration(P, R, gamma, n_sweeps):\n    raise NotImplementedError()\n",
    "epsilon_greedy_draws": "def epsilon_greedy(Q_row, epsilon, rng):\n    raise NotImplementedError()\n",
    "q_learning_update_values": "def q_learning_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):\n"
                                "    raise NotImplementedError()\n",
    "sarsa_update_values": "def sarsa_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):\n"
                           "    raise NotImplementedError()\n",
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


def test_grid_world_model_matches_its_steps():
    """P and R are what step() samples; terminal states absorb with reward 0; value iteration finds the
    short path on the deterministic cliff and the detour on the slippery one (the notebook's claims)."""
    from autograder.checks.day8.rl_basics import reference_value_iteration
    from course.gridworld import GridWorld, greedy_actions

    for slip in (0.0, 0.2):
        world = GridWorld(slip=slip)
        assert np.allclose(world.P.sum(axis=2), 1.0)
        t = np.flatnonzero(world.terminal)
        assert np.all(world.P[t, :, t] == 1.0) and np.all(world.R[t] == 0.0)
        rng = np.random.default_rng(0)
        s, a, n = world.index[(2, 3)], 2, 4000
        counts = np.zeros(world.n_states)
        rewards = 0.0
        for _ in range(n):
            s2, r, _ = world.step(s, a, rng)
            counts[s2] += 1
            rewards += r
        assert np.allclose(counts / n, world.P[s, a], atol=0.03)
        assert abs(rewards / n - world.R[s, a]) < 3.0
    deterministic, slippery = GridWorld(), GridWorld(slip=0.2)
    V = reference_value_iteration(deterministic.P, deterministic.R, 0.95, 300)
    path = greedy_actions(deterministic.P, deterministic.R, V, 0.95)
    assert [path[deterministic.index[(2, c)]] for c in range(7)] == [1] * 7  # right along the cliff
    V = reference_value_iteration(slippery.P, slippery.R, 0.95, 300)
    path = greedy_actions(slippery.P, slippery.R, V, 0.95)
    assert path[slippery.index[(2, 3)]] == 0  # moves away from the cliff


def test_sarsa_is_safer_than_q_learning_on_the_cliff():
    """The notebook's comparison: with ε = 0.1 SARSA earns more while learning, Q-learning's greedy path is -9."""
    from autograder.checks.day8.rl_basics import (reference_epsilon_greedy, reference_q_learning_update,
                                                  reference_sarsa_update)
    from course.gridworld import GridWorld

    world = GridWorld()

    def run(update, seed, n_episodes=400):
        rng = np.random.default_rng(seed)
        Q = np.zeros((world.n_states, 4))
        returns = np.zeros(n_episodes)
        for episode in range(n_episodes):
            s = world.start
            a = reference_epsilon_greedy(Q[s], 0.1, rng)
            for _ in range(200):
                s2, r, done = world.step(s, a)
                a2 = reference_epsilon_greedy(Q[s2], 0.1, rng)
                Q = update(Q, s, a, r, s2, a2, done, 0.5, 0.95)
                returns[episode] += r
                s, a = s2, a2
                if done:
                    break
        return Q, returns

    q_runs = [run(reference_q_learning_update, seed) for seed in range(2)]
    s_runs = [run(reference_sarsa_update, seed) for seed in range(2)]
    assert np.mean([r[-100:].mean() for _, r in s_runs]) > np.mean([r[-100:].mean() for _, r in q_runs]) + 5
    Q = q_runs[0][0]
    s, total = world.start, 0.0
    for _ in range(50):
        s, r, done = world.step(s, int(np.argmax(Q[s])))
        total += r
        if done:
            break
    assert total == -9.0
