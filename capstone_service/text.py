"""How numbers and times are written on the pages and in mails (one place for both)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")


def jst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if value is None else value.astimezone(TOKYO).strftime(fmt)


def percent(value) -> str:
    return "-" if value is None else f"{value * 100:.2f} %"


def loss_text(value) -> str:
    """A loss with 4 decimals; a value that rounds to zero is written 0.0000, never -0.0000."""
    if value is None:
        return "-"
    text = f"{value:.4f}"
    return "0.0000" if text == "-0.0000" else text


def duration(seconds: float | None) -> str:
    """About how long, in Japanese (for expected waits)."""
    if seconds is None:
        return "不明"
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"約 {max(seconds, 1)} 秒"
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return f"約 {minutes} 分"
    return f"約 {minutes // 60} 時間 {minutes % 60} 分"
