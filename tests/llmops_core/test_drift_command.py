"""The `manage.py drift` command: JSON and table output, scores, and bad files named by row."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]


def _rows(n: int, *, seed: int, length: float, relevance: float) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        row: dict[str, Any] = {
            "external_id": f"out-{i}",
            "input": "q" * int(rng.integers(20, 80)),
            "output": "a" * int(rng.lognormal(np.log(length), 0.4)),
            "latency_ms": int(rng.integers(200, 900)),
            "scores": {"relevance": int(np.clip(round(rng.normal(relevance, 0.7)), 1, 5))},
        }
        if i % 4 == 0:
            row["scores"]["tone"] = int(rng.integers(3, 6))  # scored on some rows only
        rows.append(row)
    return rows


def _write(path: Path, rows: list[dict[str, Any]] | str) -> Path:
    text = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
    path.write_text(text, encoding="utf-8")
    return path


def _run(*args: str | Path) -> str:
    out = io.StringIO()
    call_command("drift", *map(str, args), stdout=out)
    return out.getvalue()


@pytest.fixture
def windows(tmp_path: Path) -> tuple[Path, Path]:
    before = _write(tmp_path / "before.jsonl", _rows(600, seed=1, length=400, relevance=4.1))
    after = _write(tmp_path / "after.jsonl", _rows(600, seed=2, length=480, relevance=3.6))
    return before, after


def test_json_reports_each_signal_with_its_decision(windows: tuple[Path, Path]) -> None:
    report = json.loads(_run(*windows, "--json", "--draws", "200"))
    signals = report["signals"]
    assert list(signals) == [
        "output_length",
        "input_length",
        "latency_ms",
        "score:relevance",
        "score:tone",
    ]
    for signal in signals.values():
        assert {
            "test",
            "statistic",
            "p_value",
            "q_value",
            "effect",
            "low",
            "high",
            "drifted",
        } <= set(signal)
    assert signals["output_length"]["drifted"] is True
    assert signals["score:relevance"]["drifted"] is True
    assert signals["input_length"]["drifted"] is False
    assert signals["score:tone"]["n_before"] == 150  # only the rows scored on tone
    assert len(report["summary"]) == 2


def test_lengths_are_characters_and_the_test_is_scipys(windows: tuple[Path, Path]) -> None:
    before_rows, after_rows = (
        [json.loads(line) for line in path.read_text().splitlines()] for path in windows
    )
    lengths = [[len(r["output"]) for r in rows] for rows in (before_rows, after_rows)]
    expected = stats.ks_2samp(*lengths)
    output = json.loads(_run(*windows, "--json", "--draws", "0"))["signals"]["output_length"]
    assert output["test"] == "ks_2samp"
    assert output["statistic"] == expected.statistic and output["p_value"] == expected.pvalue
    assert output["mean_before"] == pytest.approx(np.mean(lengths[0]))


def test_the_table_shows_the_signals_and_the_sentences(windows: tuple[Path, Path]) -> None:
    text = _run(*windows, "--draws", "100")
    assert "output_length" in text and "score:tone" in text
    assert "What changed:" in text
    assert "- Outputs got " in text and '- Scores for "relevance" fell from' in text


def test_input_length_counts_message_and_variable_characters(tmp_path: Path) -> None:
    rows = [
        {"external_id": "m", "output": "x", "input": [{"role": "user", "content": "hello"}] * 2},
        {"external_id": "v", "output": "x", "input": {"city": "Oslo", "days": 3}},
        {"external_id": "t", "output": "x", "input": "plain"},
    ]
    path = _write(tmp_path / "a.jsonl", rows)
    signal = json.loads(_run(path, path, "--json"))["signals"]["input_length"]
    assert signal["mean_before"] == pytest.approx((10 + 4 + 1 + 5) / 3)
    assert signal["p_value"] is None and "only 3 rows before" in signal["reason"]


def test_files_without_scores_report_lengths_only(tmp_path: Path) -> None:
    rows = [
        {"external_id": f"r{i}", "input": "i" * i, "output": "o" * (i % 7 + 1)} for i in range(30)
    ]
    before = _write(tmp_path / "b.jsonl", rows)
    with_scores = [
        {**row, "scores": {"helpful": i % 5, "tone": None}} for i, row in enumerate(rows)
    ]
    after = _write(tmp_path / "a.jsonl", with_scores)
    assert list(json.loads(_run(before, before, "--json"))["signals"]) == [
        "output_length",
        "input_length",
    ]
    signals = json.loads(_run(before, after, "--json"))["signals"]
    assert "score:tone" not in signals  # null means not scored
    helpful = signals["score:helpful"]
    assert helpful["drifted"] is None and helpful["reason"] == "no row before has a value"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"row 2: invalid JSON"),
        ('{"external_id": "b", "input": "i"}', r'row 2, field "output": required'),
        (
            '{"external_id": "b", "input": "i", "output": "o", "colour": 1}',
            r'row 2, field "colour": unknown field',
        ),
        (
            '{"external_id": "b", "input": "i", "output": "o", "scores": [4]}',
            r'row 2, field "scores": a list is not an object',
        ),
        (
            '{"external_id": "b", "input": "i", "output": "o", "scores": {"relevance": "high"}}',
            r'row 2, field "scores.relevance": "high" is not a number',
        ),
        (
            '{"external_id": "b", "input": "i", "output": "o", "scores": {"relevance": true}}',
            r'row 2, field "scores.relevance": true is not a number',
        ),
        (
            '{"external_id": "b", "input": "i", "output": "o", "scores": {"a\\u001b[2J": 1}}',
            r'row 2, field "scores.a\\u001b\[2J": a criterion name must not hold control',
        ),
        (
            '{"external_id": "a", "input": "i", "output": "o"}',
            r'row 2, field "external_id": "a" repeats row 1',
        ),
        ("[1, 2]", r"row 2: expected a JSON object"),
    ],
)
def test_a_bad_row_is_named_with_file_row_and_field(
    tmp_path: Path, line: str, message: str
) -> None:
    good = _write(tmp_path / "good.jsonl", '{"external_id": "a", "input": "i", "output": "o"}\n')
    bad = _write(
        tmp_path / "bad.jsonl", f'{{"external_id": "a", "input": "i", "output": "o"}}\n{line}\n'
    )
    with pytest.raises(CommandError, match=rf"^{tmp_path}/bad\.jsonl: {message}"):
        _run(good, bad)


def test_many_bad_rows_are_summarised(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", "{\n" * 25)
    with pytest.raises(CommandError) as caught:
        _run(bad, bad)
    assert str(caught.value).count("invalid JSON") == 10
    assert str(caught.value).endswith("(25 bad rows in all)")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.jsonl", "\n\n", "file is empty"),
        ("rows.csv", "external_id,input,output\na,b,c\n", "drift reads JSON Lines"),
        ("array.json", '[{"external_id": "a"}]', "drift reads JSON Lines"),
    ],
)
def test_a_bad_file_is_refused_with_its_name(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = _write(tmp_path / name, text)
    with pytest.raises(CommandError, match=rf"{name}: {message}"):
        _run(path, path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"missing\.jsonl: No such file or directory"):
        _run(tmp_path / "missing.jsonl", tmp_path / "missing.jsonl")


def test_alpha_must_be_a_rate(windows: tuple[Path, Path]) -> None:
    with pytest.raises(CommandError, match="--alpha must be between 0 and 1"):
        _run(*windows, "--alpha", "1.5")


def test_the_command_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", '{"external_id": "a", "input": "i"}\n')
    result = subprocess.run(
        [sys.executable, "manage.py", "drift", str(bad), str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEBUG": "1"},
        check=False,
    )
    assert result.returncode != 0
    assert f'{bad}: row 1, field "output": required' in result.stderr
    assert "Traceback" not in result.stderr
