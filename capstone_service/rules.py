"""The competition's rules as data, read in one place and asked everywhere.

Pages, the API, mails, the rankings, selection and the CSV all ask a ``Rules`` object instead of
deciding for themselves:

- the competition closes at the scheduled deadline or when the instructor closes it by hand,
  whichever comes first (``close_time``);
- after the close, submissions are still accepted, scored and shown (private results included),
  but only submissions **accepted before the close** ever rank: the leaderboard and the final
  ranking are frozen at the close;
- selections are frozen at the close (up to ``max_selected``; when a student selected none, the
  ``max_selected`` best public results among the submissions before the close count);
- private results are shown to students only after the close;
- a score is flagged as implausible for the instructor when its public accuracy is at least
  ``implausible_accuracy`` or public and private accuracies differ by more than ``implausible_gap``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .models import Competition, utcnow

MAX_SELECTED = 2


@dataclass(frozen=True)
class Rules:
    quota_per_day: int
    deadline_at: dt.datetime | None = None  # scheduled close
    closed_at: dt.datetime | None = None  # closed by hand
    max_selected: int = MAX_SELECTED
    implausible_accuracy: float = 0.995
    implausible_gap: float = 0.10

    @property
    def close_time(self) -> dt.datetime | None:
        """When the competition closes (or closed): the earlier of the deadline and the manual close."""
        times = [t for t in (self.deadline_at, self.closed_at) if t is not None]
        return min(times) if times else None

    def is_closed(self, now: dt.datetime | None = None) -> bool:
        close = self.close_time
        return close is not None and (now or utcnow()) >= close

    def ranks(self, accepted_at: dt.datetime) -> bool:
        """Whether a submission accepted then may enter the leaderboard and the final ranking."""
        close = self.close_time
        return close is None or accepted_at < close

    def selections_open(self, now: dt.datetime | None = None) -> bool:
        return not self.is_closed(now)

    def private_visible(self, is_instructor: bool, now: dt.datetime | None = None) -> bool:
        return is_instructor or self.is_closed(now)

    def implausible(self, public: float | None, private: float | None) -> str | None:
        """Why a score looks implausible (for the instructor), or None."""
        if public is None:
            return None
        if public >= self.implausible_accuracy:
            return f"公開データの正解率が {public * 100:.2f} %"
        if private is not None and abs(public - private) > self.implausible_gap:
            return f"公開と非公開の差が {abs(public - private) * 100:.1f} ポイント"
        return None


def competition(session) -> Competition:
    found = session.get(Competition, 1)
    if found is None:
        found = Competition(id=1)
        session.add(found)
        session.flush()
    return found


def load_rules(session, settings=None) -> Rules:
    found = session.get(Competition, 1)
    return Rules(quota_per_day=settings.quota_per_day if settings is not None else 0,
                 deadline_at=found.deadline_at if found else None,
                 closed_at=found.closed_at if found else None)
