"""`make run` (python -m screening.devrun): the web server and one consumer start together,
and one Ctrl-C (SIGINT) stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..conftest import ROOT
from .conftest import wait_until


def children_of(pid: int) -> set[int]:
    out = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat.parent.name))
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return (
        Path(f"/proc/{pid}").exists()
        and "Z" not in (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0])
    )


def test_one_sigint_stops_the_server_and_the_consumer(app, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "SCREENING_CONFIG": "test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    log = (tmp_path / "devrun.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "screening.devrun", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def serving():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_until(serving, timeout=60, interval=0.2)
        kids = wait_until(lambda: len(k := children_of(proc.pid)) == 2 and k, timeout=30)
        # Both are up (the consumer says so once it has imported the app) before the Ctrl-C.
        wait_until(
            lambda: "Huey consumer started" in (tmp_path / "devrun.log").read_text(),
            timeout=60,
            interval=0.2,
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
        deadline = time.monotonic() + 30
        while any(alive(k) for k in kids) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(k) for k in kids)
        assert "Huey consumer started" in (tmp_path / "devrun.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
