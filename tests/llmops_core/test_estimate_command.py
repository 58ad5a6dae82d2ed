"""The `manage.py estimate` command: JSON and text output, versions, weights, row errors.

Its PPI++ numbers are checked against the authors' ppi-python package (Angelopoulos, Duchi
and Zrnic, "PPI++: Efficient Prediction-Powered Inference", 2023).
"""

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

from tests.metrics.oracle import import_ppi_py

ROOT = Path(__file__).resolve().parents[2]
CSV = """item,reviewer,criterion,score,comment
a,ann,fluency,4,fine
a,bob,fluency,5,
a,gpt,fluency,4,
b,ann,fluency,2,
b,gpt,fluency,3,
c,ann,fluency,3,
c,gpt,fluency,2,
d,gpt,fluency,5,
e,gpt,fluency,1,
f,gpt,fluency,4,
a,gpt,relevance,3,
b,gpt,relevance,3,
c,ann,relevance,4,
"""


def _write(tmp_path: Path, text: str, name: str = "ratings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _run(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("estimate", str(path), *args, stdout=out)
    return out.getvalue()


def _json(path: Path, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(_run(path, "--judge", "gpt", "--json", *args))
    return result


def test_json_prints_the_three_estimates_per_criterion(tmp_path: Path) -> None:
    ppi_py = import_ppi_py()
    report = _json(_write(tmp_path, CSV), "--scale", "1-5")
    fluency = report["criteria"]["fluency"]
    assert report["judge"] == "gpt" and report["sampling"] == "uniform"
    assert fluency["human_only"]["n"] == 3 and fluency["human_only"]["mean"] == pytest.approx(
        (4.5 + 2 + 3) / 3
    )
    assert fluency["judge_only"]["n"] == 6
    assert (fluency["ppi"]["n_human"], fluency["ppi"]["n_judge"]) == (3, 3)
    y, yhat, yu = np.array([4.5, 2.0, 3.0]), np.array([4.0, 3, 2]), np.array([5.0, 1, 4])
    low, high = ppi_py.ppi_mean_ci(y, yhat, yu, alpha=0.05)
    assert fluency["ppi"]["low"] == pytest.approx(float(np.ravel(low)[0]), abs=1e-6)
    assert fluency["ppi"]["high"] == pytest.approx(float(np.ravel(high)[0]), abs=1e-6)
    assert {"mean", "low", "high", "lambda", "effective_n"} <= set(fluency["ppi"])


def test_undefined_values_are_null_with_a_reason(tmp_path: Path) -> None:
    relevance = _json(_write(tmp_path, CSV))["criteria"]["relevance"]
    assert relevance["human_only"]["mean"] == 4.0 and relevance["human_only"]["low"] is None
    assert "only one output has a human rating" in relevance["human_only"]["reason"]
    assert relevance["judge_only"]["low"] is None
    assert "same score" in relevance["judge_only"]["reason"]
    assert relevance["ppi"]["mean"] is None and relevance["ppi"]["lambda"] is None
    assert "both a human rating and a judge score" in relevance["ppi"]["reason"]


def test_text_output_is_a_table_per_criterion(tmp_path: Path) -> None:
    text = _run(_write(tmp_path, CSV), "--judge", "gpt")
    assert text.startswith("Judge-assisted estimates (judge: gpt, 95% CLT intervals")
    assert "fluency" in text and "PPI++" in text and "effective n" in text
    assert "judge only: the judge gave every output the same score" in text
    assert "The labelled set is the outputs with at least one human rating" in text


def test_a_version_column_splits_the_estimates(tmp_path: Path) -> None:
    rows = ["item,reviewer,criterion,score,version"]
    for version, shift in (("v1", 0), ("v2", 1)):
        for i in range(6):
            rows.append(f"{version}-{i},gpt,fluency,{1 + (i + shift) % 5},{version}")
            if i < 3:
                rows.append(f"{version}-{i},ann,fluency,{1 + (i + shift) % 5},{version}")
    report = _json(_write(tmp_path, "\n".join(rows) + "\n"))
    assert set(report["versions"]) == {"v1", "v2"}
    assert report["versions"]["v1"]["criteria"]["fluency"]["ppi"]["n_human"] == 3
    text = _run(_write(tmp_path, "\n".join(rows) + "\n"), "--judge", "gpt")
    assert "version v2 / fluency" in text


def test_a_weights_column_gives_the_weighted_estimate(tmp_path: Path) -> None:
    rows = ["item,reviewer,criterion,score,pi"]
    for i in range(40):
        judge, pi = 1 + i % 5, "0.5" if i % 2 else "0.25"
        rows.append(f"o{i},gpt,fluency,{judge},{pi}")
        if i % 3 == 0:
            rows.append(f"o{i},ann,fluency,{min(5, judge + i % 2)},")
    report = _json(_write(tmp_path, "\n".join(rows) + "\n"), "--weights", "pi")
    fluency = report["criteria"]["fluency"]
    assert report["sampling"] == 'inclusion probabilities from column "pi"'
    assert fluency["sampling"] == "inclusion_probabilities"
    assert fluency["ppi"]["n_human"] == 14 and fluency["ppi"]["mean"] is not None


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (
            "item,reviewer,criterion,score\na,ann,f,4\na,gpt,f,lots\n",
            (),
            r'row 3, field "score": "lots" is not a number',
        ),
        (
            "item,reviewer,criterion,score\na,ann,f,7\na,gpt,f,4\n",
            ("--scale", "1-5"),
            r'row 2, field "score": 7 is not on the scale 1-5',
        ),
        (
            "item,reviewer,criterion,score\na,ann,f,4\na,gpt,f,5.5\n",
            ("--scale", "1-5"),
            r'row 3, field "score": 5.5 is outside the scale 1-5',
        ),
        (
            "item,reviewer,criterion,score\na,ann,f,4\n",
            (),
            r'--judge "gpt": no row has reviewer "gpt"',
        ),
        (
            "item,reviewer,criterion,score\na,gpt,f,4\na,gpt,f,5\n",
            (),
            r"row 3: reviewer 'gpt' already rated item 'a'",
        ),
        (
            "item,reviewer,criterion,score,version\na,gpt,f,4,v1\na,ann,f,4,v2\n",
            (),
            r'row 3, field "version": item \'a\' is already under version \'v1\' \(row 2\)',
        ),
        (
            "item,reviewer,criterion,score,version\na,gpt,f,4,\n",
            (),
            r'row 2, field "version": empty',
        ),
        (
            "item,reviewer,criterion,score,pi\na,gpt,f,4,1.5\n",
            ("--weights", "pi"),
            r'row 2, field "pi": "1.5" is not an inclusion probability in \(0, 1\]',
        ),
        (
            "item,reviewer,criterion,score,pi\na,gpt,f,4,0.5\na,ann,f,4,0.25\n",
            ("--weights", "pi"),
            r'row 3, field "pi": item \'a\' already has inclusion probability 0.5 \(row 2\)',
        ),
        (
            "item,reviewer,criterion,score,pi\na,gpt,f,4,\na,ann,f,4,\n",
            ("--weights", "pi"),
            r"row 3, field \"pi\": item 'a' has a human rating but no inclusion probability",
        ),
        (
            "item,reviewer,criterion,score\na,gpt,f,4\n",
            ("--weights", "pi"),
            r'header: no column "pi" \(named by --weights\)',
        ),
        (
            "item,reviewer,criterion\na,gpt,f\n",
            (),
            r"missing column\(s\) score",
        ),
    ],
)
def test_bad_input_names_the_row_and_field(
    tmp_path: Path, text: str, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        _run(_write(tmp_path, text), "--judge", "gpt", *args)


def test_a_missing_file_and_a_bad_level_are_command_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        _run(tmp_path / "absent.csv", "--judge", "gpt")
    with pytest.raises(CommandError, match="--confidence must be between 0 and 1"):
        _run(_write(tmp_path, CSV), "--judge", "gpt", "--confidence", "95")


def test_the_command_exits_non_zero_without_a_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, "item,reviewer,criterion,score\na,ann,f,4\na,gpt,f,oops\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "estimate", str(path), "--judge", "gpt", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEBUG": "1"},
        check=False,
    )
    assert result.returncode == 1
    assert 'row 3, field "score": "oops" is not a number' in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_the_readme_example_is_what_the_command_prints() -> None:
    """The worked example in README.md stays true to docs/examples/judge-estimates.csv."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("```text\nJudge-assisted estimates") + len("```text\n")
    shown = readme[start : readme.index("```", start)]
    printed = _run(
        ROOT / "docs" / "examples" / "judge-estimates.csv",
        "--judge",
        "gpt-judge",
        "--scale",
        "1-5",
    )
    assert printed == shown


def test_a_hand_picked_sample_is_called_out(tmp_path: Path) -> None:
    """Humans rated exactly the outputs the judge liked best: the estimate is not valid."""
    rows = ["item,reviewer,criterion,score"]
    for i in range(300):
        judge = 1 + i % 5
        rows.append(f"o{i},gpt,fluency,{judge}")
        if judge == 5 and i < 100:
            rows.append(f"o{i},ann,fluency,{4 + i % 2}")
    path = _write(tmp_path, "\n".join(rows) + "\n")
    text = _run(path, "--judge", "gpt")
    assert "warning: The human-rated outputs do not look like a random sample" in text
    check = _json(path)["criteria"]["fluency"]["sample_check"]
    assert check["suspect"] is True and check["z"] > 3
