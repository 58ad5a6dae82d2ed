"""The judge calibration page: how a judge's score maps to the humans', and where it errs most.

Per criterion of the judge version's rubric: the calibration curve (mean human label per
judge level, with counts), the judge's mean residual (its bias) and its largest residuals,
each linked to the output. Leads and admins only, like every judge page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_safe

from llmops_core.charts import FORMATS
from llmops_core.charts.calibration import calibration_curve_chart
from llmops_core.forms.calibration import CalibrationChoiceForm
from llmops_core.models import JudgeConfig, Project
from llmops_core.selectors.judge_calibration import (
    CriterionCalibration,
    judge_calibration_curves,
)
from llmops_core.selectors.judges import judge_get, judge_version_list, prompt_version_choices
from llmops_core.views.charts import chart_response
from llmops_core.views.judges.configs import lead_project

CHART_KIND = "judge_calibration:curve"
MAX_PROMPT_VERSIONS = 200  # listed in the page's select; any other is reachable by its id


def _judge(request: HttpRequest, project_slug: str, name: str) -> tuple[Project, JudgeConfig]:
    project = lead_project(request, project_slug)
    judge = judge_get(project=project, name=name)
    if judge is None:
        raise Http404("No such judge.")
    return project, judge


def _curves(project: Project, form: CalibrationChoiceForm) -> list[CriterionCalibration]:
    data = form.cleaned_data
    chosen = data["prompt_version_obj"]
    return judge_calibration_curves(
        project=project,
        judge_version=data["judge_version"],
        criteria=data["criteria"],
        prompt_version_id=chosen.pk if chosen else None,
        top=data["top"],
    )


@login_required
@require_safe
def judge_calibration_view(request: HttpRequest, project_slug: str, name: str) -> HttpResponse:
    """Show the judge version's calibration per criterion (``?version=&prompt_version=``)."""
    project, judge = _judge(request, project_slug, name)
    form = CalibrationChoiceForm(request.GET, judge=judge)
    context = {
        "project": project,
        "judge": judge,
        "form": form,
        "versions": judge_version_list(judge=judge),
        "prompt_versions": prompt_version_choices(project=project)[:MAX_PROMPT_VERSIONS],
        "sections": [],
    }
    if not form.is_valid():
        return render(request, "llmops_core/judges/calibration.html", context, status=400)
    context["sections"] = [_section(entry, request.GET) for entry in _curves(project, form)]
    context["judge_version"] = form.cleaned_data["judge_version"]
    context["prompt_version"] = form.cleaned_data["prompt_version_obj"]
    return render(request, "llmops_core/judges/calibration.html", context)


def _section(entry: CriterionCalibration, query: QueryDict) -> dict[str, Any]:
    """Return what the page shows of one criterion: numbers, chart link, residual rows."""
    data = entry.as_dict()
    rows = [{**row, **entry.outputs.get(row["output_id"], {})} for row in data["residuals"]]
    return {
        "entry": entry,
        "data": data,
        "chart_query": _chart_query(query, entry.criterion),
        "residuals": rows,
    }


def _chart_query(query: QueryDict, criterion: str) -> str:
    """Return the page's query with ``criterion`` set: the chart of that one criterion."""
    copy = query.copy()
    copy["criterion"] = criterion
    return copy.urlencode()


@login_required
@require_safe
def judge_calibration_chart(
    request: HttpRequest, project_slug: str, name: str, fmt: str
) -> HttpResponse:
    """Draw one criterion's calibration curve as SVG or PNG (``?criterion=`` required)."""
    project, judge = _judge(request, project_slug, name)
    form = CalibrationChoiceForm(request.GET, judge=judge)
    if fmt not in FORMATS or not request.GET.get("criterion") or not form.is_valid():
        raise Http404("No such chart.")
    data = _curves(project, form)[0].as_dict()
    return chart_response(
        request,
        kind=CHART_KIND,
        fmt=fmt,
        data=data,
        build=calibration_curve_chart,
        filename=f"judge-{judge.name}-calibration",
    )
