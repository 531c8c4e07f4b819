"""Classifier benchmark: classify many generated assessments in one process.

    .venv/bin/python -m benchmarks.classifier_bench            # 1,000,000 assessments, 3 runs
    .venv/bin/python benchmarks/classifier_bench.py --n 200000 --runs 5 --ruleset example-strict

All assessments are generated up front (distinct, seeded, varied: the three TOPI-style
instruments with every statement answered True/False and some notes, plus the score
instrument with every item rated; some children have observations, earlier positions and a
known vulnerability). Only the classification loop is timed, calling the public `classify`
for each assessment. Prints each run and the median rate.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening.classifier import (
    Instrument,
    Observation,
    RuleSet,
    classify,
    load_default_ruleset,
    load_instruments,
    load_observation_categories,
)

AS_OF = date(2026, 11, 23)
Case = tuple[Instrument, dict[str, Any], tuple[Observation, ...], tuple[str, ...], str | None]


def generate(n: int, instruments: list[Instrument], seed: int = 20261123) -> list[Case]:
    """n distinct, varied assessments."""
    rng = random.Random(seed)
    catalogue = load_observation_categories()
    cats = [(c.source, c.key) for c in catalogue.all_categories()]
    indicator = [i for i in instruments if i.kind == "indicator"]
    score = [i for i in instruments if i.kind == "score"]
    notes = ("Glad for at lege ude.", "Har haft en svær uge.", "Taler mest med én voksen.")
    cases: list[Case] = []
    for _ in range(n):
        # A per-child "concern" level makes the answers hang together (mostly green children).
        concern = rng.random() ** 6
        if score and rng.random() < 0.25:
            inst = rng.choice(score)
            answers: dict[str, Any] = {}
            for item in inst.items:
                if item.kind == "rated" and item.scale is not None:
                    lo, hi = item.scale.min, item.scale.max
                    good = hi if item.direction == "higher_is_better" else lo
                    bad = lo if good == hi else hi
                    v = round(good + (bad - good) * min(1.0, max(0.0, rng.gauss(concern, 0.15))))
                    answers[item.key] = v
                elif rng.random() < 0.2:
                    answers[item.key] = rng.choice(notes)
        else:
            inst = rng.choice(indicator)
            answers = {}
            p = {
                "green": 0.8 - 0.6 * concern,
                "yellow": 0.002 + 0.2 * concern,
                "red": 0.0002 + 0.04 * concern,
            }
            # Half the forms send every statement (True/False), half only the ticked ones,
            # as an HTML form with checkboxes does.
            full = rng.random() < 0.5
            for item in inst.items:
                if item.kind == "indicator" and item.position is not None:
                    ticked = rng.random() < p[item.position]
                    if ticked or full:
                        answers[item.key] = ticked
                elif rng.random() < 0.2:
                    answers[item.key] = rng.choice(notes)
        observations: tuple[Observation, ...] = ()
        if rng.random() < 0.15:
            observations = tuple(
                Observation(
                    *rng.choice(cats),
                    rng.choice((1, 1, 2, 2, 3)),
                    AS_OF - timedelta(days=rng.randrange(0, 720)),
                )
                for _ in range(rng.randint(1, 3))
            )
        history = tuple(
            rng.choices(("green", "yellow", "red"), (80, 15, 5))[0]
            for _ in range(rng.choice((0, 0, 1, 2, 3, 4)))
        )
        vulnerability = rng.choices((None, "not", "potentially", "clearly"), (50, 35, 10, 5))[0]
        cases.append((inst, answers, observations, history, vulnerability))
    return cases


def reference_loop(n: int = 5_000_000) -> float:
    """Million additions per second of a plain Python loop: how fast the machine is right now
    (shared virtual machines vary a lot from minute to minute)."""
    start = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return n / (time.perf_counter() - start) / 1e6


def run_once(cases: list[Case], ruleset: RuleSet) -> tuple[float, Counter[str]]:
    counts: Counter[str] = Counter()
    positions = []
    append = positions.append
    start = time.perf_counter()
    for inst, answers, observations, history, vulnerability in cases:
        append(
            classify(
                inst, ruleset, answers, observations, history, vulnerability, as_of=AS_OF
            ).position
        )
    elapsed = time.perf_counter() - start
    counts.update(positions)
    return elapsed, counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="assessments per run")
    parser.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    parser.add_argument("--ruleset", default="default", help="shipped rule-set key")
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args(argv)
    if args.runs < 1 or args.n < 1:
        parser.error("--n and --runs must be at least 1")

    instruments = load_instruments()
    ruleset = load_default_ruleset(args.ruleset, instruments=instruments)
    print(
        f"machine: {platform.machine()}, nproc {os.cpu_count()}, "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )
    t0 = time.perf_counter()
    cases = generate(args.n, instruments, args.seed)
    print(
        f"generated {len(cases):,} assessments in {time.perf_counter() - t0:.1f} s "
        f"(rule set {ruleset.ident})"
    )
    for inst in instruments:  # compile outside the timed loop, as a long-running app would
        ruleset.compile(inst)
    gc.collect()
    gc.freeze()  # the generated data is long-lived; keep it out of the collector's way

    print(f"reference loop: {reference_loop():.1f} M additions/s")
    rates = []
    for run in range(1, args.runs + 1):
        elapsed, counts = run_once(cases, ruleset)
        rate = len(cases) / elapsed
        rates.append(rate)
        shares = ", ".join(f"{p} {counts[p] / len(cases):.1%}" for p in ("green", "yellow", "red"))
        print(
            f"run {run}: {len(cases):,} in {elapsed:.2f} s = {rate:,.0f} assessments/s ({shares})"
        )
    print(f"median: {statistics.median(rates):,.0f} assessments/s over {args.runs} runs")
    print(f"reference loop: {reference_loop():.1f} M additions/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
