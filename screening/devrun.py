"""`make run`: the development web server and one task-queue consumer, started together
and stopped together (Ctrl-C, or either of them ending, stops both).

    python -m screening.devrun --host 127.0.0.1 --port 5000
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from types import FrameType


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="5000")
    args = parser.parse_args(argv)
    flask = [sys.executable, "-m", "flask", "--app", "screening"]
    procs = [
        subprocess.Popen([*flask, "worker", "--workers", "2"]),  # noqa: S603 (our own command)
        subprocess.Popen([*flask, "run", "--host", args.host, "--port", str(args.port)]),  # noqa: S603
    ]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    while not stopping and all(p.poll() is None for p in procs):
        time.sleep(0.2)
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
