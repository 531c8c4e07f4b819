"""What the sync API's limits cost: reading a body and checking every item against the
limits (`screening/offline/parsing.py`), before anything touches the database.

    .venv/bin/python -m benchmarks.sync_limits_bench            # 7 runs of each case
    .venv/bin/python -m benchmarks.sync_limits_bench --runs 15

Cases: the device's batch (100 assessments with texts and 40 answers each), the largest
batch the server takes (500), the device's 100 with every text at its longest (TEXT_MAX,
written as \\u escapes: just under the body limit), a
body at the size limit with one item nested 100,000 levels deep (cut off before
decoding), and json.loads alone for comparison. Prints each case's median wall time with
its spread, and its median CPU time, in milliseconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening.offline.parsing import MAX_TEXT, Invalid, check_values, load_body


def item(text: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "assessment",
        "base_version": 3,
        "base_id": str(uuid.uuid4()),
        "payload": {
            "round_id": 4,
            "child_id": 17,
            "answers": {f"emo-g{i}": i % 2 == 0 for i in range(40)},
            "resources": text,
            "concerns": text,
            "justification": text,
            "vulnerability": None,
            "submit": True,
        },
    }


def body(n: int, text: str) -> bytes:
    return json.dumps({"items": [item(text) for _ in range(n)]}).encode()


def read_and_check(raw: bytes) -> None:
    decoded = load_body(raw)
    for it in decoded.value["items"]:
        with contextlib.suppress(Invalid):  # the deep item: answered "invalid"
            check_values(it, decoded.marker)


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each run (CPU time is steadier on a shared machine)."""
    fn()  # warm-up
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    typical = "Leger godt med de andre børn, men trækker sig ved overgange. " * 3
    b100, b500 = body(100, typical), body(500, typical)
    longest = body(100, "æ" * MAX_TEXT)  # "\u00e6": 6 bytes a character
    nested = "[" * 100_000 + '"x"' + "]" * 100_000
    deep_item = (
        f'{{"id": "{uuid.uuid4()}", "kind": "observation", "payload": {{"note": {nested}}}}}'
    )
    deep = f'{{"items": [{json.dumps(item(typical))}, {deep_item}]}}'.encode()
    cases = [
        ("100 items (the device's batch)", len(b100), lambda: read_and_check(b100)),
        ("500 items (MAX_BATCH)", len(b500), lambda: read_and_check(b500)),
        ("100 items, every text TEXT_MAX long", len(longest), lambda: read_and_check(longest)),
        ("an item nested 100,000 deep", len(deep), lambda: read_and_check(deep)),
        ("json.loads alone, 500 items", len(b500), lambda: json.loads(b500)),
        ("json.loads alone, 100 longest", len(longest), lambda: json.loads(longest)),
    ]
    print(f"{platform.machine()}, Python {platform.python_version()}, {args.runs} runs each")
    for name, size, fn in cases:
        wall, cpu = timed(fn, args.runs)
        print(
            f"{name:38} {size / 1e6:5.2f} MB  wall median {statistics.median(wall):7.2f} ms"
            f" (min {min(wall):.2f}, max {max(wall):.2f})"
            f"  cpu median {statistics.median(cpu):7.2f} ms"
        )


if __name__ == "__main__":
    main()
