"""The recorded CartPole runs of 8_5_deep_rl (scripts/record_day8_dqn.py → course/data/day8_dqn_cartpole.npz):
the claims the notebook makes about them hold, and a short run reproduces the start of the record."""

import numpy as np
import pytest

from course.records import load_record

SEEDS = (0, 1, 2)
# recorded: best 20-episode means 230.2 / 185.1 / 391.9, greedy means 128.3 / 148.8 / 156.3 (seeds 0, 1, 2);
# REINFORCE last 50 episodes 302.6 with the baseline, 145.6 without (means over the seeds)
BEST_AT_LEAST, GREEDY_AT_LEAST, REINFORCE_MARGIN = 150.0, 100.0, 80.0


@pytest.fixture(scope="module")
def record():
    return load_record("day8_dqn_cartpole")


def _best_window(returns, width=20):
    return max(returns[i:i + width].mean() for i in range(len(returns) - width + 1))


def test_record_describes_itself(record):
    assert "record_day8_dqn.py" in str(record["description"])
    assert tuple(int(s) for s in record["seeds"]) == SEEDS and int(record["n_steps"]) == 20000
    for seed in SEEDS:
        ends = record[f"dqn_end_steps_{seed}"]
        assert len(ends) == len(record[f"dqn_returns_{seed}"]) and np.all(np.diff(ends) > 0) and ends[-1] <= 20000
        assert len(record[f"dqn_greedy_returns_{seed}"]) == 10


def test_dqn_learns_on_every_seed(record):
    """The notebook's claims: the random policy earns about 22; every seed's 20-episode average rises above
    BEST_AT_LEAST at some point and its greedy policy averages more than GREEDY_AT_LEAST."""
    for seed in SEEDS:
        returns = record[f"dqn_returns_{seed}"]
        assert returns[:20].mean() < 40  # starts at the random policy's level
        assert _best_window(returns) >= BEST_AT_LEAST, seed
        assert record[f"dqn_greedy_returns_{seed}"].mean() >= GREEDY_AT_LEAST, seed


def test_seeds_differ(record):
    """The spread picture: the same code gives visibly different curves for different seeds."""
    bests = [_best_window(record[f"dqn_returns_{seed}"]) for seed in SEEDS]
    counts = [len(record[f"dqn_returns_{seed}"]) for seed in SEEDS]
    assert len(set(counts)) > 1 and max(bests) - min(bests) > 10


def test_reinforce_baseline_helps(record):
    with_b, without_b = record["reinforce_baseline"], record["reinforce_no_baseline"]
    assert with_b.shape == without_b.shape == (3, 500)
    assert with_b[:, -50:].mean() > without_b[:, -50:].mean() + REINFORCE_MARGIN
    assert with_b[:, :20].mean() < 40 and without_b[:, :20].mean() < 40


def test_a_short_run_reproduces_the_start_of_the_record(record):
    """Same seed, same code: the first episodes (including the first 500 steps of learning) are identical."""
    from course.dqn import train_dqn

    returns, ends, _ = train_dqn(0, n_steps=1500)
    recorded = record["dqn_returns_0"][:len(returns)]
    assert np.array_equal(returns, recorded) and np.array_equal(ends, record["dqn_end_steps_0"][:len(ends)])
