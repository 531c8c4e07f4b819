"""The benchmark command works (tiny run) and generates varied, valid assessments."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

from screening.classifier import Instrument, classify

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "classifier_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("classifier_bench", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_assessments_are_varied_and_valid(
    bench: ModuleType, instruments: dict[str, Instrument], default: object
) -> None:
    cases = bench.generate(2000, list(instruments.values()), seed=7)
    assert len(cases) == 2000
    assert len({id(answers) for _, answers, *_ in cases}) == 2000
    kinds = Counter(inst.kind for inst, *_ in cases)
    assert kinds["indicator"] > kinds["score"] > 0
    positions = Counter(
        classify(inst, default, a, o, h, v, as_of=bench.AS_OF).position  # type: ignore[arg-type]
        for inst, a, o, h, v in cases
    )
    assert set(positions) == {"green", "yellow", "red"}
    assert positions["green"] > positions["yellow"] > positions["red"]
    assert bench.generate(50, list(instruments.values()), seed=7) == cases[:50]


def test_benchmark_command_runs(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--n", "300", "--runs", "2", "--ruleset", "example-basic"]) == 0
    out = capsys.readouterr().out
    assert "rule set example-basic v1" in out
    assert out.count("run ") == 2
    assert "median:" in out
