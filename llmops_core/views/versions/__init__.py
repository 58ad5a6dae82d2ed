"""HTML pages of the release loop: compare versions, gate and promote, scorecards, history, lineage.

Leads and admins only (reviewers get 403, non-members 404); only admins override a failing gate
or edit its rules. Reports are computed by Celery; their pages poll the API until they finish.
One module per page family; ``llmops_core.urls`` routes to the names listed here.
"""

from llmops_core.views.versions.compare import (
    version_compare,
    version_compare_request,
    version_promote,
)
from llmops_core.views.versions.gate import release_gate
from llmops_core.views.versions.history import (
    promotion_detail,
    prompt_history,
    prompt_version_new,
)
from llmops_core.views.versions.scorecards import (
    version_report_chart,
    version_report_json,
    version_scorecard,
    version_scorecard_request,
)

__all__ = [
    "promotion_detail",
    "prompt_history",
    "prompt_version_new",
    "release_gate",
    "version_compare",
    "version_compare_request",
    "version_promote",
    "version_report_chart",
    "version_report_json",
    "version_scorecard",
    "version_scorecard_request",
]
