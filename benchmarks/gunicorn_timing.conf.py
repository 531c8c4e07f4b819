"""The load benchmark's gunicorn settings: exactly `gunicorn.conf.py`, plus two hooks that
log when the master forks each worker and when that worker is ready to serve (its app
loaded), to the file named by LOADBENCH_TIMES (`benchmarks/load_bench.py` reads it)."""

import os
import time
from pathlib import Path

_conf = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
exec(compile(_conf.read_text(), str(_conf), "exec"))  # noqa: S102 - our own settings file

_production_pre_fork = pre_fork  # type: ignore[name-defined]  # noqa: F821
_TIMES = os.environ.get("LOADBENCH_TIMES")


def _log(line: str) -> None:
    if _TIMES:
        with open(_TIMES, "a") as f:
            f.write(line + "\n")


def pre_fork(server, worker):  # type: ignore[no-untyped-def]
    _production_pre_fork(server, worker)
    _log(f"fork {worker.age} 0 {time.time():.6f}")


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    _log(f"ready {worker.age} {os.getpid()} {time.time():.6f}")
