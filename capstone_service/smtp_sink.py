"""A local SMTP server that keeps every mail as a file (``course-service-smtp-sink``), for the demo.

It speaks real SMTP (aiosmtpd), so the service sends exactly as it would to a real server.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class FileSink:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._n = 0

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self._n += 1
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}-{self._n:05d}.eml"
        tmp = self.folder / f".{name}"
        tmp.write_bytes(envelope.original_content or envelope.content)
        tmp.rename(self.folder / name)
        return "250 Message accepted for delivery"


def start(folder: Path, host: str = "127.0.0.1", port: int = 8025) -> Controller:
    controller = Controller(FileSink(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="届いたメールをファイルとして保存するだけの SMTP サーバー（デモ用）。")
    parser.add_argument("--dir", type=Path, default=Path("service_data/mail"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args(argv)
    controller = start(args.dir, args.host, args.port)
    print(f"SMTP sink on {args.host}:{args.port}, mails in {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
