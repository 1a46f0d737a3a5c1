"""The grid world of 8_4_rl_basics (強化学習の基礎): a small MDP given as arrays.

A map is a list of strings, one character per cell:

- ``S`` start, ``.`` an ordinary cell, ``#`` a wall (not a state: moving into it keeps the agent in
  place), ``G`` the goal (terminal), ``C`` a cliff (terminal).

States are the non-wall cells numbered row by row (``world.cells[s] = (row, col)``). Actions are
0 = up, 1 = right, 2 = down, 3 = left (``ACTION_ARROWS``). Moving off the map or into a wall keeps
the agent where it is.

Dynamics: with ``slip = 0`` the world is deterministic. With ``slip > 0`` the intended move happens with
probability ``1 - slip`` and each of the two perpendicular moves with probability ``slip / 2``.
Reward of a transition: ``step_reward`` (-1) for every move, plus ``cliff_reward`` (-100 in total) when
it ends in a cliff cell; reaching the goal gives the ordinary -1 and ends the episode.

As arrays (what dynamic programming uses):

- ``P`` (S, A, S): ``P[s, a, s2]`` = probability of moving to ``s2``; each ``P[s, a]`` sums to 1.
- ``R`` (S, A): expected reward of taking ``a`` in ``s`` (``sum_s2 P[s, a, s2] * r(s, a, s2)``).
- ``terminal`` (S,) bool. A terminal state is absorbing: ``P[s, a, s] = 1`` and ``R[s, a] = 0``, so its
  value is 0 and dynamic programming needs no special case for it.

``step(s, a, rng)`` samples one transition (for Q-learning and SARSA): it draws exactly one
``rng.random()`` when ``slip > 0`` and nothing when the world is deterministic.
"""

from __future__ import annotations

import numpy as np

ACTION_ARROWS = ("↑", "→", "↓", "←")
_MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))  # (drow, dcol) of up, right, down, left

CLIFF_MAP = (
    "........",
    "........",
    "........",
    "SCCCCCCG",
)


class GridWorld:
    """A finite MDP on a grid (see the module docstring for the conventions)."""

    n_actions = 4

    def __init__(self, grid=CLIFF_MAP, slip=0.0, step_reward=-1.0, cliff_reward=-100.0):
        self.grid = tuple(grid)
        self.slip = float(slip)
        self.n_rows, self.n_cols = len(self.grid), len(self.grid[0])
        self.cells = [(r, c) for r in range(self.n_rows) for c in range(self.n_cols) if self.grid[r][c] != "#"]
        self.index = {cell: s for s, cell in enumerate(self.cells)}
        self.n_states = len(self.cells)
        kinds = [self.grid[r][c] for r, c in self.cells]
        self.start = kinds.index("S")
        self.terminal = np.array([k in "GC" for k in kinds])
        self.goal = np.array([k == "G" for k in kinds])
        self.cliff = np.array([k == "C" for k in kinds])
        self.reward_on_entering = np.where(self.cliff, cliff_reward, step_reward).astype(np.float64)

        S, A = self.n_states, self.n_actions
        self.P = np.zeros((S, A, S))
        self.R = np.zeros((S, A))
        for s in range(S):
            if self.terminal[s]:
                self.P[s, :, s] = 1.0
                continue
            for a in range(A):
                for move, prob in self._outcomes(a):
                    s2 = self._move(s, move)
                    self.P[s, a, s2] += prob
                    self.R[s, a] += prob * self.reward_on_entering[s2]

    def _outcomes(self, a):
        if self.slip == 0.0:
            return [(a, 1.0)]
        return [(a, 1.0 - self.slip), ((a + 1) % 4, self.slip / 2), ((a + 3) % 4, self.slip / 2)]

    def _move(self, s, move):
        r, c = self.cells[s]
        dr, dc = _MOVES[move]
        target = (r + dr, c + dc)
        return self.index.get(target, s)  # off the map or into a wall: stay

    def step(self, s, a, rng=None):
        """One sampled transition from state ``s`` with action ``a``: returns ``(s_next, reward, done)``."""
        move = a
        if self.slip > 0.0:
            u = rng.random()
            if u >= 1.0 - self.slip:
                move = (a + 1) % 4 if u < 1.0 - self.slip / 2 else (a + 3) % 4
        s_next = self._move(s, move)
        return s_next, float(self.reward_on_entering[s_next]), bool(self.terminal[s_next])

    def as_grid(self, values, fill=np.nan):
        """A (S,) array laid out on the map as (n_rows, n_cols); walls get ``fill``."""
        out = np.full((self.n_rows, self.n_cols), fill, dtype=np.float64)
        for s, (r, c) in enumerate(self.cells):
            out[r, c] = values[s]
        return out


def greedy_actions(P, R, V, gamma):
    """argmax_a (R[s, a] + gamma * sum_s2 P[s, a, s2] V[s2]) for every state (ties: the smallest action)."""
    return np.argmax(R + gamma * P @ V, axis=1)


def plot_values(world, V, ax, title="", fmt="{:.1f}", cmap="viridis"):
    """The values of the non-terminal states as a coloured map with the numbers written in; terminal
    cells (value 0 by definition) are grey and marked G (goal) or C (cliff)."""
    values = np.where(world.terminal, np.nan, V)
    grid = np.ma.masked_invalid(world.as_grid(values))
    colours = _colormap(cmap)
    image = ax.imshow(grid, cmap=colours)
    middle = np.nanmean(values)
    for s, (r, c) in enumerate(world.cells):
        if world.terminal[s]:
            ax.text(c, r, "G" if world.goal[s] else "C", ha="center", va="center", fontsize=9, color="white")
        else:
            ax.text(c, r, fmt.format(V[s]), ha="center", va="center", fontsize=8,
                    color="white" if V[s] < middle else "black")
    _decorate(world, ax, title)
    return image


def _colormap(name):
    """A copy of a matplotlib colormap whose masked cells (terminal states) are drawn grey."""
    import matplotlib

    colours = matplotlib.colormaps[name].copy()
    colours.set_bad("dimgray")
    return colours


def plot_policy(world, actions, ax, title="", values=None):
    """The greedy action of every non-terminal state as an arrow (S: start, G: goal, cliff in grey)."""
    background = np.zeros((world.n_rows, world.n_cols))
    for s, (r, c) in enumerate(world.cells):
        background[r, c] = 1.0 if world.cliff[s] else (0.5 if world.goal[s] else 0.0)
    ax.imshow(background, cmap="Greys", vmin=0, vmax=1.5)
    for s, (r, c) in enumerate(world.cells):
        if world.terminal[s]:
            ax.text(c, r, "G" if world.goal[s] else "", ha="center", va="center", fontsize=11)
            continue
        dr, dc = _MOVES[int(actions[s])]
        ax.annotate("", xy=(c + 0.35 * dc, r + 0.35 * dr), xytext=(c - 0.35 * dc, r - 0.35 * dr),
                    arrowprops=dict(arrowstyle="->", lw=1.8, color="tab:red" if s == world.start else "tab:blue"))
    r, c = world.cells[world.start]
    ax.text(c - 0.42, r - 0.3, "S", fontsize=9)
    _decorate(world, ax, title)


def _decorate(world, ax, title):
    ax.set_xticks(np.arange(-0.5, world.n_cols, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, world.n_rows, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="both", bottom=False, left=False, labelbottom=False, labelleft=False)
    if title:
        ax.set_title(title)
