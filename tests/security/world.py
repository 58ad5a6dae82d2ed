"""One small but complete project for the permission matrix: every kind of object a URL can name.

Built once per test module (inside a transaction the module rolls back) through the ordinary
services, so that every page and endpoint has a real object of the project to act on: a blind
queue rated by two reviewers, finished agreement, judge, scorecard and comparison reports, a
promotion, a dataset and a generation run, an import and an export job, an API token.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from annotate.models import Annotation, Queue, QueueItem
from annotate.services.assignment import assignment_claim_next
from annotate.services.queues import queue_create
from llmops_core.hashing import content_hash
from llmops_core.models import (
    Dataset,
    ExportJob,
    GenerationRun,
    ImportJob,
    IngestKey,
    JobStatus,
    JudgeConfig,
    JudgeRun,
    JudgeVersion,
    LLMEndpoint,
    ModelOutput,
    Project,
    Promotion,
    PromptVersion,
    Report,
    ReportKind,
    Role,
    RubricVersion,
)
from llmops_core.services.comparisons import comparison_compute, comparison_request
from llmops_core.services.datasets import dataset_create
from llmops_core.services.exports import export_job_create, export_job_run, export_spec_build
from llmops_core.services.generation import generation_run_create
from llmops_core.services.import_jobs import import_job_create
from llmops_core.services.ingest_keys import ingest_key_create
from llmops_core.services.judges.endpoints import endpoint_create
from llmops_core.services.judges.reports import judge_report_compute, judge_report_request
from llmops_core.services.projects import membership_set, project_create
from llmops_core.services.prompts import (
    prompt_label_set,
    prompt_template_create,
    prompt_version_create,
)
from llmops_core.services.reports import ReportScope, report_compute, report_request
from llmops_core.services.scorecards import scorecard_compute, scorecard_request
from llmops_core.services.tokens import token_create
from tests.versions.helpers import judge_scores, rate_all

SLUG = "perm"
TEMPLATE = "tpl-5b0d"  # the prompt's name: blind pages must not show it either
# Marks the model behind every output: a blind page that shows it leaks the prompt version.
SECRET_MODEL = "hidden-model-7f3a"
SECRET_PROMPT = "hidden-prompt-c41e"  # in both prompt versions' template text
SECRET_COMMENT = "peer-comment-92e6"  # on every annotation of the queue's other reviewer
PEER = "perm-peer"
HIDDEN_QUEUE = "queue-hidden-3c8f"  # a queue of the peer's alone: the reviewer never sees it
# What a reviewer, an outsider, staff or an anonymous visitor never gets in any response...
SECRETS = (SECRET_MODEL, SECRET_PROMPT, SECRET_COMMENT, PEER, HIDDEN_QUEUE)
# ...and what a reviewer's blind pages never show (a 404 may echo the name in its URL).
BLIND = (*SECRETS, TEMPLATE)
N_INPUTS = 6
# Matrix roles in the order reports list them. "outsider" is a member of two other projects
# only (reviewer of one, admin of the other); "staff" is Django staff with no membership;
# "superuser" is a Django superuser with no membership (an admin of every project).
ROLES = ("anonymous", "outsider", "reviewer", "adjudicator", "lead", "admin", "staff", "superuser")
PROJECT_ROLES = {
    "reviewer": Role.REVIEWER,
    "adjudicator": Role.ADJUDICATOR,
    "lead": Role.LEAD,
    "admin": Role.ADMIN,
}


@dataclass
class World:
    """The objects the rules' URL kwargs point at, and a logged-in session per role."""

    project: Project
    users: dict[str, Any]
    peer: Any  # a second reviewer of the queue, whose ratings the reviewer must never see
    rubric_version: RubricVersion
    v1: PromptVersion  # production
    v2: PromptVersion  # candidate
    queue: Queue
    mine: Annotation  # the reviewer's own annotation
    theirs: Annotation  # the peer's annotation of the item the reviewer holds
    leased: QueueItem  # leased to the reviewer, rated by the peer, not yet by the reviewer
    report: Report  # agreement, succeeded
    failed_report: Report  # agreement, failed (for retry)
    scorecard: Report  # of v1, succeeded
    comparison: Report  # v2 against v1, succeeded
    judge: JudgeConfig
    judge_run: JudgeRun  # succeeded, with scores of every output
    judge_report: Report
    promotion: Promotion
    dataset: Dataset
    generation_run: GenerationRun
    import_job: ImportJob
    export_job: ExportJob
    token_pk: int  # an API token of the reviewer
    ingest_key: IngestKey
    sessions: dict[str, str] = field(default_factory=dict)
    files: dict[Path, bytes] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.project.slug

    def restore_files(self) -> None:
        """Put back a stored file a case deleted (a rollback restores rows, not files)."""
        for path, content in self.files.items():
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)


def _users() -> dict[str, Any]:
    model = get_user_model()
    users: dict[str, Any] = {"anonymous": None}
    for name in ROLES[1:]:
        users[name] = model.objects.create_user(
            username=f"perm-{name}",
            password="pw",
            is_staff=name in ("staff", "superuser"),
            is_superuser=name == "superuser",
        )
    return users


def _outputs(project: Project, version: PromptVersion) -> list[ModelOutput]:
    """Create one output of ``version`` per input; the texts say nothing of the version."""
    rows = []
    for i in range(N_INPUTS):
        value = {"question": f"q{i}"}
        rows.append(
            ModelOutput.objects.create(
                project=project,
                external_id=f"v{version.pk}-q{i}",
                prompt_version=version,
                input=value,
                input_hash=content_hash(value),
                output_text=f"An answer to q{i}.",
                model_name=version.model_name,
                cost=Decimal("0.002"),
                latency_ms=400,
                tokens_in=10,
                tokens_out=20,
            )
        )
    return rows


def _queue_and_ratings(
    project: Project, users: dict[str, Any], peer: Any, outputs: list[Any]
) -> tuple[Queue, Annotation, Annotation, QueueItem]:
    """Rate a blind queue: the peer rates every item, the reviewer all but one, which they hold.

    A second queue, of the peer's alone, is one the reviewer must never see listed.
    """
    reviewer = users["reviewer"]
    rubric_version = project.rubrics.get(name="default").versions.get(number=1)
    # An hour's lease: the reviewer still holds their item when the module's last case runs.
    queue = queue_create(
        project=project,
        name="blind",
        rubric_version=rubric_version,
        overlap=2,
        blind=True,
        reviewers=[reviewer, peer],
        created_by=users["lead"],
        output_ids=[o.pk for o in outputs],
        lease_seconds=3600,
    )
    scores = {"fluency": 4, "relevance": 3, "factuality": 4}
    rate_all(queue, peer, lambda output: {**scores, "fluency": 2 + output.pk % 3})
    Annotation.objects.filter(reviewer=peer).update(comment=SECRET_COMMENT)
    rate_all(queue, reviewer, lambda output: scores, limit=len(outputs) - 1)
    queue_create(
        project=project,
        name=HIDDEN_QUEUE,
        rubric_version=rubric_version,
        overlap=1,
        reviewers=[peer],
        created_by=users["lead"],
        output_ids=[outputs[0].pk],
    )
    queue.refresh_from_db()
    leased = assignment_claim_next(queue=queue, reviewer=reviewer).assignment
    assert leased is not None, "the reviewer should hold one unrated item"
    mine = Annotation.objects.filter(item__queue=queue, reviewer=reviewer).order_by("id").first()
    theirs = Annotation.objects.get(item=leased.item, reviewer=peer)
    assert mine is not None
    return queue, mine, theirs, leased.item


def _reports(
    project: Project, queue: Queue, v1: PromptVersion, v2: PromptVersion
) -> tuple[Report, Report, Report, Report]:
    report, _ = report_request(
        project=project, requested_by=None, scope=ReportScope(queue_id=queue.pk, bootstrap_draws=50)
    )
    done = report_compute(report_id=report.pk)
    failed = Report.objects.create(
        project=project,
        kind=ReportKind.AGREEMENT,
        title="failed",
        parameters=report.parameters,
        status=JobStatus.FAILED,
        error="the worker died",
    )
    card = scorecard_compute(report_id=scorecard_request(version=v1)[0].pk)
    comparison = comparison_compute(report_id=comparison_request(candidate=v2, baseline=v1)[0].pk)
    for row in (done, card, comparison):
        assert row is not None and row.status == JobStatus.SUCCEEDED, row and row.error
    assert done is not None and card is not None and comparison is not None
    return done, failed, card, comparison


def _judge(
    project: Project, queue: Queue, outputs: list[Any]
) -> tuple[LLMEndpoint, JudgeConfig, JudgeRun, Report]:
    """Record a finished judge run on the queue's outputs and compute its report."""
    # Never called: the matrix only reads and requests, nothing is sent to a model.
    endpoint = endpoint_create(project=project, name="local", base_url="http://127.0.0.1:9/v1")
    run = judge_scores(
        project,
        {o: {"fluency": 3, "relevance": 4, "factuality": 4} for o in outputs},
        judge_name="quality",
    )
    # The run's page shows the endpoint and the subjects a real run would have recorded.
    JudgeVersion.objects.filter(pk=run.judge_version_id).update(endpoint=endpoint)
    JudgeRun.objects.filter(pk=run.pk).update(
        parameters={"queue_id": queue.pk, "output_ids": [o.pk for o in outputs]}
    )
    run.refresh_from_db()
    report = judge_report_request(project=project, run=run, queue_id=queue.pk, bootstrap_draws=50)
    done = judge_report_compute(report_id=report.pk)
    assert done is not None and done.status == JobStatus.SUCCEEDED, done and done.error
    return endpoint, run.judge_version.config, run, done


def _jobs(
    project: Project, users: dict[str, Any], v2: PromptVersion, endpoint: Any
) -> tuple[Dataset, GenerationRun, ImportJob, ExportJob]:
    dataset, _ = dataset_create(
        project=project, name="inputs", inputs=[{"question": f"q{i}"} for i in range(N_INPUTS)]
    )
    run = generation_run_create(version=v2, dataset=dataset, endpoint=endpoint)
    line = b'{"external_id": "imported-1", "input": "hi", "output": "hello"}\n'
    imported = import_job_create(
        project=project,
        created_by=users["lead"],
        content=io.BytesIO(line),
        filename="outputs.jsonl",
        partial=False,
        source="api",
    )
    spec = export_spec_build(project=project, kind="ratings", fmt="jsonl", role=None)
    job = export_job_run(
        job=export_job_create(spec=spec, project=project, requested_by=users["lead"])
    )
    assert job.status == JobStatus.SUCCEEDED, job.error
    return dataset, run, imported, job


def _sessions(users: dict[str, Any]) -> dict[str, str]:
    """Log every role in once; each case sends the session cookie (no login per case)."""
    keys = {}
    for role, user in users.items():
        if user is None:
            continue
        client = Client()
        client.force_login(user)
        keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return keys


@override_settings(REPORT_BOOTSTRAP_DRAWS=50)
def build_world() -> World:
    """Create the project, its members and one object of every kind a URL can point at."""
    users = _users()
    project = project_create(name="Permissions", slug=SLUG, created_by=users["admin"])
    for role, project_role in PROJECT_ROLES.items():
        membership_set(project=project, user=users[role], role=project_role)
    peer = get_user_model().objects.create_user(username=PEER, password="pw")
    membership_set(project=project, user=peer, role=Role.REVIEWER)
    # The outsider belongs to two other projects, one of them as admin: a role that leaked
    # across projects would show. The other project has a prompt of the same name.
    elsewhere = project_create(name="Elsewhere", slug="perm-elsewhere")
    membership_set(project=elsewhere, user=users["outsider"], role=Role.REVIEWER)
    third = project_create(name="Third", slug="perm-third")
    membership_set(project=third, user=users["outsider"], role=Role.ADMIN)
    prompt_template_create(project=third, name=TEMPLATE)

    template = prompt_template_create(project=project, name=TEMPLATE)
    v1, v2 = (
        prompt_version_create(
            template=template,
            model_name=SECRET_MODEL,
            template_text=f"{{{{ question }}}} {SECRET_PROMPT} {i}",
        )[0]
        for i in (1, 2)
    )
    promotion = prompt_label_set(version=v1, label="production", actor=users["lead"])
    outputs = _outputs(project, v1) + _outputs(project, v2)
    queue, mine, theirs, leased = _queue_and_ratings(project, users, peer, outputs)
    report, failed, card, comparison = _reports(project, queue, v1, v2)
    endpoint, judge, judge_run, judge_report = _judge(project, queue, outputs)
    dataset, generation_run, import_job, export_job = _jobs(project, users, v2, endpoint)
    token, _ = token_create(user=users["reviewer"], name="perm")
    ingest_key, _ = ingest_key_create(project=project, name="perm", created_by=users["lead"])
    world = World(
        project=project,
        users=users,
        peer=peer,
        rubric_version=queue.rubric_version,
        v1=v1,
        v2=v2,
        queue=queue,
        mine=mine,
        theirs=theirs,
        leased=leased,
        report=report,
        failed_report=failed,
        scorecard=card,
        comparison=comparison,
        judge=judge,
        judge_run=judge_run,
        judge_report=judge_report,
        promotion=promotion,
        dataset=dataset,
        generation_run=generation_run,
        import_job=import_job,
        export_job=export_job,
        token_pk=token.pk,
        ingest_key=ingest_key,
    )
    world.sessions = _sessions(users)
    world.files = {
        Path(f.path): Path(f.path).read_bytes() for f in (export_job.file, import_job.file)
    }
    return world
