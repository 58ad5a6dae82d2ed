"""``python manage.py export``: writes the file and its datasheet, prints rows and SHA-256."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from tests.exports.builders import RatedProject

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export", *args, stdout=out)
    return out.getvalue()


def test_the_cli_writes_the_export_and_its_datasheet(rated: RatedProject, tmp_path: Path) -> None:
    path = tmp_path / "out" / "consensus.parquet"
    text = run(
        "--project",
        rated.project.slug,
        "--kind",
        "consensus",
        "--format",
        "parquet",
        "--out",
        str(path),
        "--min-ratings",
        "3",
        "--queue",
        str(rated.queue.pk),
        "--prompt-version",
        str(rated.versions[0].pk),
        str(rated.versions[1].pk),
        "--since",
        "2000-01-01",
        "--until",
        "2999-12-31",
        "--min-agreement",
        "0",
        "--exclude-flagged",
    )
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert "rows: 6\n" in text and f"sha256: {digest}\n" in text
    assert len(pd.read_parquet(path)) == 6
    sheet = json.loads(Path(f"{path}.datasheet.json").read_text())
    assert sheet["file"]["sha256"] == digest and sheet["filters"]["exclude_flagged"] is True
    assert Path(f"{path}.datasheet.md").read_text().startswith("# ")


def test_the_cli_takes_the_ranking_options(rated: RatedProject, tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    text = run(
        "--project",
        rated.project.slug,
        "--kind",
        "preferences",
        "--format",
        "jsonl",
        "--out",
        str(path),
        "--rule",
        "relevance",
        "--min-margin",
        "0.3",
    )
    assert "rows: 4\n" in text
    assert {json.loads(line)["rule"] for line in path.read_text().splitlines()} == {
        "criterion:relevance"
    }
    sft = tmp_path / "sft.csv"
    assert "rows: 1\n" in run(
        "--project",
        rated.project.slug,
        "--kind",
        "sft",
        "--format",
        "csv",
        "--out",
        str(sft),
        "--sft-threshold",
        "4.5",
    )


def test_the_cli_may_export_real_names(rated: RatedProject, tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    run(
        "--project",
        rated.project.slug,
        "--kind",
        "ratings",
        "--format",
        "csv",
        "--out",
        str(path),
        "--real-names",
    )
    assert set(pd.read_csv(path)["reviewer"]) == {"rev1", "rev2", "rev3"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--project", "nope"], 'no project "nope"'),
        (["--min-agreement", "3"], 'filter "min_agreement": 3 is outside 0-1'),
        (["--rule", "length"], "filter \"rule\": 'length' is not a rule"),
    ],
)
def test_the_cli_refuses_bad_arguments(
    rated: RatedProject, tmp_path: Path, args: list[str], message: str
) -> None:
    base = {
        "--project": rated.project.slug,
        "--kind": "sft",
        "--format": "csv",
        "--out": str(tmp_path / "x.csv"),
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run(*[part for pair in base.items() for part in pair])
