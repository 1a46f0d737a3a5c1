"""Hidden checks of 8_4_rl_basics: dynamic programming on an MDP given as arrays, ε-greedy actions from a
given Generator, and the tabular Q-learning and SARSA updates.

Conventions stated in the notebook and tested here:
- An MDP is ``P`` (S, A, S) with ``P[s, a, s2]`` the transition probability and ``R`` (S, A) the expected
  reward of taking ``a`` in ``s``; terminal states are absorbing with reward 0 (nothing special to do).
- ``policy_evaluation(P, R, policy, gamma, n_sweeps)``: ``policy`` (S, A) holds π(a|s). V starts at zeros
  (float64); each of the ``n_sweeps`` sweeps is synchronous (every state from the previous sweep's V):
  ``V_new[s] = sum_a policy[s, a] * (R[s, a] + gamma * sum_s2 P[s, a, s2] * V[s2])``. Returns V (S,).
- ``value_iteration(P, R, gamma, n_sweeps)``: the same with ``max_a`` instead of the policy average.
- ``epsilon_greedy(Q_row, epsilon, rng)``: one ``u = rng.random()``; if ``u < epsilon`` one
  ``rng.integers(len(Q_row))`` (uniform over all actions, the greedy one included) is returned, otherwise
  ``np.argmax(Q_row)`` (ties: the smallest index) and nothing more is drawn. Returns an int.
- ``q_learning_update(Q, s, a, r, s_next, a_next, done, alpha, gamma)`` and
  ``sarsa_update(...)`` (same arguments): return a NEW array (Q unchanged) equal to Q except
  ``Q[s, a] + alpha * (target - Q[s, a])`` with ``target = r`` when ``done`` and otherwise
  ``r + gamma * max(Q[s_next])`` (Q-learning; ``a_next`` is not used) or ``r + gamma * Q[s_next, a_next]``
  (SARSA).
"""

import numpy as np

from course.checking import Case, ClassCheck, FunctionCheck, Mistake, Scenario, call, put
from course.gridworld import GridWorld
from course.probe import Attribute, Seeded

NOTEBOOK = "8_4_rl_basics"

RTOL, ATOL = 1e-9, 1e-12


# --------------------------------------------------------------------------- references
def reference_policy_evaluation(P, R, policy, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.sum(policy * (R + gamma * P @ V), axis=1)
    return V


def reference_value_iteration(P, R, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.max(R + gamma * P @ V, axis=1)
    return V


def reference_epsilon_greedy(Q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    return int(np.argmax(Q_row))


def _update(Q, s, a, target, alpha):
    out = np.array(Q, dtype=np.float64)
    out[s, a] += alpha * (target - Q[s, a])
    return out


def reference_q_learning_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    target = r if done else r + gamma * np.max(Q[s_next])
    return _update(Q, s, a, target, alpha)


def reference_sarsa_update(Q, s, a, r, s_next, a_next, done, alpha, gamma):
    target = r if done else r + gamma * Q[s_next, a_next]
    return _update(Q, s, a, target, alpha)


# --------------------------------------------------------------------------- typical mistakes
def _sweeps(backup, in_place=False):
    """A dynamic-programming loop with a given one-state backup ``backup(q_row, policy_row)``."""
    def run(P, R, *rest):
        if len(rest) == 3:
            policy, gamma, n_sweeps = rest
        else:
            (gamma, n_sweeps), policy = rest, None
        V = np.zeros(P.shape[0])
        for _ in range(n_sweeps):
            if in_place:
                for s in range(len(V)):
                    V[s] = backup(R[s] + gamma * P[s] @ V, None if policy is None else policy[s])
            else:
                Q = R + gamma * P @ V
                V = np.array([backup(Q[s], None if policy is None else policy[s]) for s in range(len(V))])
        return V
    return run


def _expect(q, p):
    return float(np.sum(p * q))


def _no_discount_eval(P, R, policy, gamma, n_sweeps):
    return reference_policy_evaluation(P, R, policy, 1.0, n_sweeps)


def _discount_on_reward_eval(P, R, policy, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.sum(policy * gamma * (R + P @ V), axis=1)
    return V


EVAL_MISTAKES = [
    Mistake("割引率 gamma を掛けていません。次の状態の価値は gamma 倍して足します: "
            "R[s, a] + gamma * Σ_s2 P[s, a, s2] V[s2]。", _no_discount_eval),
    Mistake("V をその場で（1 状態ずつ）書き換えています。このノートブックの更新は同期的で、1 回の掃引ではすべての状態を"
            "「前の掃引の V」から計算し、最後に V を新しい配列に置き換えます。", _sweeps(_expect, in_place=True)),
    Mistake("方策の確率で平均せずに、行動について最大値をとっています（それは価値反復法です）。方策評価では "
            "Σ_a policy[s, a] × (…) です。", _sweeps(lambda q, p: float(np.max(q)))),
    Mistake("方策 policy を使わず、行動について単純平均しています。重みは policy[s, a]（方策の確率）です。",
            _sweeps(lambda q, p: float(np.mean(q)))),
    Mistake("報酬にも gamma を掛けています。gamma を掛けるのは次の状態の価値だけです: R[s, a] + gamma × Σ P V。",
            _discount_on_reward_eval),
]


def _no_discount_vi(P, R, gamma, n_sweeps):
    return reference_value_iteration(P, R, 1.0, n_sweeps)


def _discount_on_reward_vi(P, R, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.max(gamma * (R + P @ V), axis=1)
    return V


def _vi_max_over_next_states(P, R, gamma, n_sweeps):
    V = np.zeros(P.shape[0])
    for _ in range(n_sweeps):
        V = np.max(R + gamma * np.max(P * V, axis=2), axis=1)
    return V


VI_MISTAKES = [
    Mistake("割引率 gamma を掛けていません。max_a (R[s, a] + gamma * Σ_s2 P[s, a, s2] V[s2]) です。", _no_discount_vi),
    Mistake("V をその場で（1 状態ずつ）書き換えています。このノートブックの更新は同期的で、1 回の掃引ではすべての状態を"
            "「前の掃引の V」から計算し、最後に V を新しい配列に置き換えます。",
            _sweeps(lambda q, p: float(np.max(q)), in_place=True)),
    Mistake("行動について最大値ではなく平均をとっています。価値反復法は max_a (…) です。",
            _sweeps(lambda q, p: float(np.mean(q)))),
    Mistake("報酬にも gamma を掛けています。gamma を掛けるのは次の状態の価値だけです: R[s, a] + gamma × Σ P V。",
            _discount_on_reward_vi),
    Mistake("次の状態についての期待値（確率で重み付けた和 Σ_s2 P[s, a, s2] V[s2]）ではなく、P × V の最大値をとっています。"
            "max をとるのは行動 a についてだけです。", _vi_max_over_next_states),
]


def _eg_never_explores(Q_row, epsilon, rng):
    rng.random()
    return int(np.argmax(Q_row))


def _eg_never_explores_no_draw(Q_row, epsilon, rng):
    return int(np.argmax(Q_row))


def _eg_excludes_greedy(Q_row, epsilon, rng):
    greedy = int(np.argmax(Q_row))
    if rng.random() < epsilon:
        others = [a for a in range(len(Q_row)) if a != greedy]
        return int(others[rng.integers(len(others))])
    return greedy


def _eg_inverted(Q_row, epsilon, rng):
    if rng.random() > epsilon:
        return int(rng.integers(len(Q_row)))
    return int(np.argmax(Q_row))


def _eg_integer_first(Q_row, epsilon, rng):
    action = int(rng.integers(len(Q_row)))
    if rng.random() < epsilon:
        return action
    return int(np.argmax(Q_row))


def _eg_always_both(Q_row, epsilon, rng):
    u = rng.random()
    action = int(rng.integers(len(Q_row)))
    return action if u < epsilon else int(np.argmax(Q_row))


def _eg_argmin(Q_row, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(Q_row)))
    return int(np.argmin(Q_row))


def _eg_global(Q_row, epsilon, rng):
    if np.random.random() < epsilon:
        return int(np.random.randint(len(Q_row)))
    return int(np.argmax(Q_row))


EG_MISTAKES = [  # the first mistake that matches a wrong value names it: the specific ones first
    Mistake("np.argmin を使っています。貪欲な行動は Q の値が最大の行動（np.argmax）です。", _eg_argmin),
    Mistake("探索しないときにも rng.integers を引いています。rng.integers は u < epsilon のときだけ引きます"
            "（引く回数が変わると、同じ rng から続けて選ぶ行動がずれます）。", _eg_always_both),
    Mistake("乱数を引く順番が違います。先に u = rng.random() を引き、探索するとき（u < epsilon）だけ、そのあとで "
            "rng.integers(len(Q_row)) を引きます。", _eg_integer_first),
    Mistake("探索のときに貪欲な行動を候補から外しています。このノートブックの ε-greedy は、探索のときはすべての行動から"
            "一様に選びます（貪欲な行動も含めて rng.integers(len(Q_row))）。", _eg_excludes_greedy),
    Mistake("探索していません（いつも Q_row が最大の行動を返しています）。u = rng.random() が epsilon より小さいときは "
            "rng.integers(len(Q_row)) でランダムな行動を返します。", _eg_never_explores),
    Mistake("不等号が逆です。探索するのは u = rng.random() が epsilon より小さいとき（確率 epsilon）です。", _eg_inverted),
    Mistake("rng ではなく numpy 全体の乱数（np.random.random など）を使っています。乱数は引数の rng から "
            "rng.random() と rng.integers(...) で引きます。", _eg_global),
]


def _td_mistake(target_fn, step="alpha"):
    def wrong(Q, s, a, r, s_next, a_next, done, alpha, gamma):
        target = target_fn(Q, r, s, a, s_next, a_next, done, gamma)
        out = np.array(Q, dtype=np.float64)
        if step == "alpha":
            out[s, a] += alpha * (target - Q[s, a])
        elif step == "replace":
            out[s, a] = target
        elif step == "sign":
            out[s, a] -= alpha * (target - Q[s, a])
        elif step == "row":
            out[s] += alpha * (target - Q[s])
        return out
    return wrong


def _q_target(Q, r, s, a, s_next, a_next, done, gamma):
    return r if done else r + gamma * np.max(Q[s_next])


def _sarsa_target(Q, r, s, a, s_next, a_next, done, gamma):
    return r if done else r + gamma * Q[s_next, a_next]


COMMON_TD_HINTS = {
    "replace": "Q[s, a] を目標 target で置き換えています。学習率 alpha の分だけ近づけます: "
               "Q[s, a] + alpha * (target - Q[s, a])。",
    "sign": "更新の符号が逆です。Q[s, a] を目標に近づけるので Q[s, a] + alpha * (target - Q[s, a]) です。",
    "row": "Q[s] の行全体を更新しています。変えるのは実際にとった行動の Q[s, a] の 1 つだけです。",
}


def _td_mistakes(target_fn, name, other_hint, other_target):
    return [
        Mistake("割引率 gamma を掛けていません。目標は r + gamma * (次の状態の値) です。",
                _td_mistake(lambda Q, r, s, a, s2, a2, d, g: target_fn(Q, r, s, a, s2, a2, d, 1.0))),
        Mistake("終端状態（done が True）でも次の状態の値を足しています。エピソードが終わったあとには報酬がないので、"
                "done のときの目標は r だけです。",
                _td_mistake(lambda Q, r, s, a, s2, a2, d, g: target_fn(Q, r, s, a, s2, a2, False, g))),
        Mistake(other_hint, _td_mistake(other_target)),
        Mistake("次の状態 s_next ではなく今の状態 s の Q を目標に使っています。目標に使うのは Q[s_next] です。",
                _td_mistake(lambda Q, r, s, a, s2, a2, d, g: r if d else r + g * (np.max(Q[s]) if name == "q" else Q[s, a2]))),
        Mistake(COMMON_TD_HINTS["replace"], _td_mistake(target_fn, "replace")),
        Mistake(COMMON_TD_HINTS["sign"], _td_mistake(target_fn, "sign")),
        Mistake(COMMON_TD_HINTS["row"], _td_mistake(target_fn, "row")),
    ]


Q_MISTAKES = _td_mistakes(
    _q_target, "q",
    "SARSA の更新になっています（次の行動 a_next の Q[s_next, a_next] を使っています）。Q-learning の目標は、"
    "次の状態で最大の値 max_a' Q[s_next, a'] を使います（a_next は使いません）。", _sarsa_target)
SARSA_MISTAKES = _td_mistakes(
    _sarsa_target, "sarsa",
    "Q-learning の更新になっています（max Q[s_next] を使っています）。SARSA の目標は、実際に選んだ次の行動の "
    "Q[s_next, a_next] を使います。", _q_target)

# --------------------------------------------------------------------------- inputs
_rng = np.random.default_rng(8400)


def _random_mdp(S, A, seed, absorbing=()):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.ones(S) * 0.7, size=(S, A))
    R = rng.normal(size=(S, A))
    for s in absorbing:
        P[s] = 0.0
        P[s, :, s] = 1.0
        R[s] = 0.0
    return P, R


def _random_policy(S, A, seed):
    return np.random.default_rng(seed).dirichlet(np.ones(A), size=S)


P_v, R_v = _random_mdp(4, 3, 1, absorbing=(3,))
pi_v = _random_policy(4, 3, 2)
P_h, R_h = _random_mdp(6, 2, 3)
pi_h = _random_policy(6, 2, 4)
P_h2, R_h2 = _random_mdp(5, 4, 5, absorbing=(0, 4))
pi_h2 = _random_policy(5, 4, 6)
_tiny = GridWorld(["S..", ".#.", "C.G"], slip=0.2)
_tiny_uniform = np.full((_tiny.n_states, 4), 0.25)
_line = GridWorld(["S...G"])
_line_right = np.tile([0.0, 1.0, 0.0, 0.0], (_line.n_states, 1))

EVAL_VISIBLE = [
    Case("4 状態・3 行動のランダムな MDP（状態 3 は終端）、gamma = 0.9、1 回の掃引", (P_v, R_v, pi_v, 0.9, 1)),
    Case("4 状態・3 行動のランダムな MDP（状態 3 は終端）、gamma = 0.9、3 回の掃引", (P_v, R_v, pi_v, 0.9, 3)),
    Case("一直線の通路 S...G、いつも右へ進む方策、gamma = 0.5、10 回の掃引", (_line.P, _line.R, _line_right, 0.5, 10)),
]
EVAL_HIDDEN = [
    Case("6 状態・2 行動のランダムな MDP、gamma = 0.8、2 回の掃引", (P_h, R_h, pi_h, 0.8, 2)),
    Case("6 状態・2 行動のランダムな MDP、gamma = 0.95、200 回の掃引（ほぼ収束）", (P_h, R_h, pi_h, 0.95, 200)),
    Case("5 状態・4 行動のランダムな MDP（状態 0 と 4 は終端）、gamma = 0.7、4 回の掃引", (P_h2, R_h2, pi_h2, 0.7, 4)),
    Case("滑りやすい 3×3 の迷路、一様ランダムな方策、gamma = 0.9、5 回の掃引",
         (_tiny.P, _tiny.R, _tiny_uniform, 0.9, 5)),
    Case("4 状態・3 行動のランダムな MDP、gamma = 0（すぐの報酬だけ）", (P_v, R_v, pi_v, 0.0, 3)),
    Case("4 状態・3 行動のランダムな MDP、0 回の掃引（V は 0 のまま）", (P_v, R_v, pi_v, 0.9, 0)),
]
VI_VISIBLE = [
    Case("4 状態・3 行動のランダムな MDP（状態 3 は終端）、gamma = 0.9、1 回の掃引", (P_v, R_v, 0.9, 1)),
    Case("4 状態・3 行動のランダムな MDP（状態 3 は終端）、gamma = 0.9、3 回の掃引", (P_v, R_v, 0.9, 3)),
    Case("一直線の通路 S...G、gamma = 0.5、10 回の掃引", (_line.P, _line.R, 0.5, 10)),
]
VI_HIDDEN = [
    Case("6 状態・2 行動のランダムな MDP、gamma = 0.8、2 回の掃引", (P_h, R_h, 0.8, 2)),
    Case("6 状態・2 行動のランダムな MDP、gamma = 0.95、200 回の掃引（ほぼ収束）", (P_h, R_h, 0.95, 200)),
    Case("5 状態・4 行動のランダムな MDP（状態 0 と 4 は終端）、gamma = 0.7、4 回の掃引", (P_h2, R_h2, 0.7, 4)),
    Case("滑りやすい 3×3 の迷路、gamma = 0.9、30 回の掃引", (_tiny.P, _tiny.R, 0.9, 30)),
    Case("4 状態・3 行動のランダムな MDP、gamma = 0（すぐの報酬だけ）", (P_v, R_v, 0.0, 3)),
]


def _eg_scenario(label, Q_row, epsilon, seed, n_calls):
    steps = [put("rng", Seeded(seed))]
    steps += [call("", Q_row, epsilon, Attribute("rng"),
                   label=f"同じ rng で {k + 1} 回目の epsilon_greedy(Q_row, {epsilon}, rng)") for k in range(n_calls)]
    return Scenario(label, steps)


Q4 = np.array([0.1, 0.5, -0.2, 0.3])
Q4b = np.array([0.9, 0.1, -0.2, 0.3])
Q_tie = np.array([1.0, 2.0, 2.0])
Q6 = _rng.normal(size=6)
EG_VISIBLE = [
    _eg_scenario("Q_row = [0.1, 0.5, -0.2, 0.3]、epsilon = 0（探索しない）、seed 2 で 4 回", Q4, 0.0, 2, 4),
    _eg_scenario("Q_row = [0.9, 0.1, -0.2, 0.3]、epsilon = 1（いつも探索）、seed 4 で 8 回", Q4b, 1.0, 4, 8),
    _eg_scenario("Q_row = [0.1, 0.5, -0.2, 0.3]、epsilon = 0.5、同じ rng（seed 0）で 12 回", Q4, 0.5, 0, 12),
    _eg_scenario("最大値が 2 つある Q_row = [1, 2, 2]、epsilon = 0.2、seed 3 で 10 回", Q_tie, 0.2, 3, 10),
]
EG_HIDDEN = EG_VISIBLE + [
    _eg_scenario("6 行動のランダムな Q_row、epsilon = 0.3、seed 11 で 20 回", Q6, 0.3, 11, 20),
    _eg_scenario("6 行動のランダムな Q_row、epsilon = 0.9、seed 12 で 15 回", Q6, 0.9, 12, 15),
    _eg_scenario("2 行動 Q_row = [-1, -3]、epsilon = 0.5、seed 13 で 20 回", np.array([-1.0, -3.0]), 0.5, 13, 20),
]


def _table(S, A, seed):
    return np.random.default_rng(seed).normal(size=(S, A))


Qv = _table(4, 3, 21)
Qh = _table(6, 4, 22)
Qh2 = _table(3, 2, 23)


def _td_cases(visible):
    # a_next is never the greedy action of s_next in these cases, so Q-learning and SARSA differ
    def worst(Q, s):
        return int(np.argmin(Q[s]))

    if visible:
        return [
            Case("遷移 (s=1, a=2, r=-1, s_next=3, a_next=Q[3] で最小の行動)、終端でない、alpha = 0.5, gamma = 0.9",
                 (Qv, 1, 2, -1.0, 3, worst(Qv, 3), False, 0.5, 0.9)),
            Case("終端に入る遷移 (s=0, a=1, r=10, s_next=2, done=True)、Q[2] は 0 でない、alpha = 0.5, gamma = 0.9",
                 (Qv, 0, 1, 10.0, 2, worst(Qv, 2), True, 0.5, 0.9)),
            Case("同じ状態に留まる遷移 (s=2, a=0, r=0.5, s_next=2)、alpha = 0.1, gamma = 0.99",
                 (Qv, 2, 0, 0.5, 2, worst(Qv, 2), False, 0.1, 0.99)),
        ]
    return [
        Case("6 状態・4 行動、(s=4, a=3, r=2, s_next=0)、alpha = 0.3, gamma = 0.8",
             (Qh, 4, 3, 2.0, 0, worst(Qh, 0), False, 0.3, 0.8)),
        Case("6 状態・4 行動、終端に入る遷移 (s=5, a=0, r=-100, s_next=1, done=True)、alpha = 0.2, gamma = 0.9",
             (Qh, 5, 0, -100.0, 1, worst(Qh, 1), True, 0.2, 0.9)),
        Case("3 状態・2 行動、(s=0, a=0, r=-1, s_next=1)、alpha = 1, gamma = 0.5",
             (Qh2, 0, 0, -1.0, 1, worst(Qh2, 1), False, 1.0, 0.5)),
        Case("3 状態・2 行動、gamma = 0（目標は r だけ）、alpha = 0.5", (Qh2, 1, 1, 3.0, 2, worst(Qh2, 2), False, 0.5, 0.0)),
        Case("整数の Q（dtype int64）でも float64 で返す、(s=1, a=0, r=-1, s_next=0)、alpha = 0.5, gamma = 0.9",
             (np.array([[0, 2], [1, -1]]), 1, 0, -1.0, 0, 0, False, 0.5, 0.9)),
    ]


CHECKS = {
    "policy_evaluation_values": [FunctionCheck(
        function="policy_evaluation", reference=reference_policy_evaluation, dtype="float", returns="array",
        rtol=RTOL, atol=ATOL, visible=EVAL_VISIBLE, cases=EVAL_HIDDEN, mistakes=EVAL_MISTAKES)],
    "value_iteration_values": [FunctionCheck(
        function="value_iteration", reference=reference_value_iteration, dtype="float", returns="array",
        rtol=RTOL, atol=ATOL, visible=VI_VISIBLE, cases=VI_HIDDEN, mistakes=VI_MISTAKES)],
    "epsilon_greedy_draws": [ClassCheck(
        function="epsilon_greedy", reference=reference_epsilon_greedy, scenarios=EG_HIDDEN, visible=EG_VISIBLE,
        dtype="int", mistakes=EG_MISTAKES)],
    "q_learning_update_values": [FunctionCheck(
        function="q_learning_update", reference=reference_q_learning_update, dtype="float", returns="array",
        rtol=RTOL, atol=ATOL, visible=_td_cases(True), cases=_td_cases(False), mistakes=Q_MISTAKES)],
    "sarsa_update_values": [FunctionCheck(
        function="sarsa_update", reference=reference_sarsa_update, dtype="float", returns="array",
        rtol=RTOL, atol=ATOL, visible=_td_cases(True), cases=_td_cases(False), mistakes=SARSA_MISTAKES)],
}
