"""Charts of an agreement report: valid SVG and PNG, deterministic, honest about gaps."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from html import escape
from typing import Any

import pytest

from llmops_core.charts import render
from llmops_core.charts.agreement import CHARTS, pair_matrix
from llmops_core.models import Report

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}svg"


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_every_chart_renders_as_valid_svg_and_png(done_report: Report, name: str) -> None:
    figure = CHARTS[name].build(done_report.results)
    svg = render(figure, "svg")
    assert ET.fromstring(svg).tag == SVG  # noqa: S314 (our own output)
    png = render(CHARTS[name].build(done_report.results), "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_svg_is_byte_for_byte_reproducible(done_report: Report, name: str) -> None:
    first = render(CHARTS[name].build(done_report.results), "svg")
    second = render(CHARTS[name].build(done_report.results), "svg")
    assert first == second


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_a_report_without_ratings_draws_an_explanation(name: str) -> None:
    empty = {"criteria": {}, "criteria_order": ["fluency"], "distribution": {}, "trend": {}}
    svg = render(CHARTS[name].build(empty), "svg")
    assert ET.fromstring(svg).tag == SVG  # noqa: S314 (our own output)
    assert b"No " in svg


def test_alpha_chart_says_n_a_for_an_undefined_alpha(done_report: Report) -> None:
    results = copy.deepcopy(done_report.results)
    results["criteria"]["fluency"]["krippendorff_alpha"]["ordinal"] = None
    svg = render(CHARTS["alpha"].build(results), "svg")
    assert b"n/a (cannot be measured)" in svg


def test_heatmap_matrix_is_symmetric_with_the_pairs_kappa(done_report: Report) -> None:
    section = done_report.results["criteria"]["fluency"]
    matrix = pair_matrix(section)
    pair = section["cohen_kappa"]["pairs"][0]
    a, b = matrix.reviewers.index(pair["a"]), matrix.reviewers.index(pair["b"])
    assert matrix.values[a, b] == matrix.values[b, a] == pytest.approx(pair["quadratic"])
    assert matrix.counts[a, b] == pair["n"]


# Matplotlib reads "$...$" in any text as mathtext; an unknown macro made every chart raise.
MATHTEXT = r"$\undefinedmacro{x}$ & $x^2$"


def renamed(results: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """Return report results with the name ``old`` (a criterion, a reviewer) renamed ``new``."""
    return json.loads(json.dumps(results).replace(json.dumps(old), json.dumps(new)))


def drawn_literally(svg: bytes, text: str) -> bool:
    """Return whether the SVG holds ``text`` as text (fonts are not turned into paths)."""
    return escape(text) in svg.decode()


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_user_text_is_drawn_literally_never_as_mathtext(done_report: Report, name: str) -> None:
    results = renamed(done_report.results, "fluency", MATHTEXT)
    reviewer = done_report.results["criteria"]["fluency"]["cohen_kappa"]["pairs"][0]["a"]
    results = renamed(results, reviewer, "$r$ \\sqrt{2}")
    svg = render(CHARTS[name].build(results), "svg")
    assert ET.fromstring(svg).tag == SVG  # noqa: S314 (our own output)
    assert render(CHARTS[name].build(results), "png").startswith(b"\x89PNG")
    if name != "heatmap":  # the heatmap is labelled by reviewer
        assert drawn_literally(svg, MATHTEXT), name


def test_alpha_chart_draws_an_estimate_outside_its_interval(done_report: Report) -> None:
    """A bootstrap interval need not contain alpha (seen in a study: a 500 on the chart)."""
    results = copy.deepcopy(done_report.results)
    section = results["criteria"]["fluency"]
    section["krippendorff_alpha"]["ordinal"] = 0.95
    section["krippendorff_alpha_ci"]["ordinal"] = {"low": 0.5, "high": 0.9}
    svg = render(CHARTS["alpha"].build(results), "svg")
    assert ET.fromstring(svg).tag == SVG  # noqa: S314 (our own output)
    assert b"0.95 [0.50, 0.90]" in svg
