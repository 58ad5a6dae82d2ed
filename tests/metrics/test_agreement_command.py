"""The `manage.py agreement` command: JSON and text output, row errors, exit status."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

if not settings.configured:
    pytest.skip("call_command needs pytest-django's settings", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[2]
CSV = """item,reviewer,criterion,score,timestamp,comment
a,ann,fluency,4,2024-03-01T10:00:00Z,fine
a,bob,fluency,5,2024-03-02T10:00:00Z,
a,gpt,fluency,4,,
b,ann,fluency,2,2024-03-08T10:00:00Z,
b,bob,fluency,2,2024-03-08T10:00:00Z,
b,gpt,fluency,3,,
c,ann,fluency,3,,
c,bob,fluency,1,,
c,gpt,fluency,2,,
a,ann,relevance,5,,
a,bob,relevance,5,,
"""


@pytest.fixture
def ratings_csv(tmp_path: Path) -> Path:
    """Write a small long-format ratings file."""
    path = tmp_path / "ratings.csv"
    path.write_text(CSV, encoding="utf-8")
    return path


def test_json_output_is_one_report_object(ratings_csv: Path) -> None:
    out = io.StringIO()
    call_command(
        "agreement",
        str(ratings_csv),
        "--json",
        "--scale",
        "1-5",
        "--judge",
        "gpt",
        "--draws",
        "50",
        "--seed",
        "3",
        stdout=out,
    )
    report = json.loads(out.getvalue())
    fluency = report["criteria"]["fluency"]
    assert fluency["n_reviewers"] == 2 and fluency["judge"]["n_items"] == 3
    assert fluency["krippendorff_alpha_ci"]["ordinal"]["draws"] == 50
    assert report["criteria"]["relevance"]["krippendorff_alpha"]["nominal"] is None


def test_text_output_summarises_each_criterion(ratings_csv: Path) -> None:
    out = io.StringIO()
    call_command("agreement", str(ratings_csv), "--scale", "1,2,3,4,5", "--draws", "20", stdout=out)
    text = out.getvalue()
    assert "Criterion fluency: 3 items" in text
    assert "Krippendorff's alpha" in text and "ICC" in text
    assert "n/a krippendorff_alpha.nominal" in text  # relevance: both reviewers gave 5


def test_a_bad_row_is_reported_with_row_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("item,reviewer,criterion,score\na,ann,f,4\na,bob,f,lots\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r'row 3, field "score": "lots" is not a number'):
        call_command("agreement", str(path), stdout=io.StringIO())


def test_a_score_off_the_scale_is_an_error(ratings_csv: Path) -> None:
    with pytest.raises(CommandError, match=r'row 3, field "score": 5 is not on the scale 1-4'):
        call_command("agreement", str(ratings_csv), "--scale", "1-4", stdout=io.StringIO())


def test_the_command_exits_non_zero_on_a_bad_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("item,reviewer,criterion\na,ann,f\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "manage.py", "agreement", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DEBUG": "1"},
        check=False,
    )
    assert result.returncode != 0
    assert "missing column(s) score" in result.stderr
