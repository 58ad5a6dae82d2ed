"""Domain models of the LLMOps core, split by subdomain."""

from llmops_core.models.alerts import (
    AlertDelivery,
    AlertEvent,
    AlertRule,
    AlertState,
    Channel,
    Direction,
    NoData,
)
from llmops_core.models.exports import ExportFormat, ExportJob, ExportKind
from llmops_core.models.feedback import Feedback, FeedbackKind, FeedbackSource
from llmops_core.models.gates import ReleaseGate
from llmops_core.models.generation import GenerationRun
from llmops_core.models.health import Heartbeat
from llmops_core.models.ingest import IngestKey, SpanBatch, SpanEncoding
from llmops_core.models.jobs import (
    AsyncJob,
    AuditEvent,
    ImportFormat,
    ImportJob,
    ImportJobOutput,
    JobStatus,
)
from llmops_core.models.judges import (
    JudgeConfig,
    JudgeMode,
    JudgePairVerdict,
    JudgeRun,
    JudgeScore,
    JudgeVersion,
    PairVerdict,
)
from llmops_core.models.llm import CallStatus, LLMCacheEntry, LLMCall, LLMEndpoint
from llmops_core.models.logins import LoginFailureCounter
from llmops_core.models.monitoring import OutputRollup, OutputRollupError, OutputRollupLatency
from llmops_core.models.outputs import (
    Dataset,
    DatasetRow,
    ModelOutput,
    OutputSource,
    OutputStatus,
)
from llmops_core.models.people import Invitation, PasswordChangeRequired
from llmops_core.models.projects import ROLE_RANK, Membership, Project, Role
from llmops_core.models.prompts import (
    Promotion,
    PromptLabel,
    PromptTag,
    PromptTemplate,
    PromptVersion,
)
from llmops_core.models.references import ReferenceMetric, ReferenceScore
from llmops_core.models.reports import Report, ReportKind
from llmops_core.models.routing import (
    JudgeState,
    RoutedOutput,
    RoutingRule,
    RoutingRuleDay,
    RoutingRuleRevision,
)
from llmops_core.models.rubrics import Criterion, Rubric, RubricVersion
from llmops_core.models.tokens import ApiToken

__all__ = [
    "ROLE_RANK",
    "AlertDelivery",
    "AlertEvent",
    "AlertRule",
    "AlertState",
    "ApiToken",
    "AsyncJob",
    "AuditEvent",
    "CallStatus",
    "Channel",
    "Criterion",
    "Dataset",
    "DatasetRow",
    "Direction",
    "ExportFormat",
    "ExportJob",
    "ExportKind",
    "Feedback",
    "FeedbackKind",
    "FeedbackSource",
    "GenerationRun",
    "Heartbeat",
    "ImportFormat",
    "ImportJob",
    "ImportJobOutput",
    "IngestKey",
    "Invitation",
    "JobStatus",
    "JudgeConfig",
    "JudgeMode",
    "JudgePairVerdict",
    "JudgeRun",
    "JudgeScore",
    "JudgeState",
    "JudgeVersion",
    "LLMCacheEntry",
    "LLMCall",
    "LLMEndpoint",
    "LoginFailureCounter",
    "Membership",
    "ModelOutput",
    "NoData",
    "OutputRollup",
    "OutputRollupError",
    "OutputRollupLatency",
    "OutputSource",
    "OutputStatus",
    "PairVerdict",
    "PasswordChangeRequired",
    "Project",
    "Promotion",
    "PromptLabel",
    "PromptTag",
    "PromptTemplate",
    "PromptVersion",
    "ReferenceMetric",
    "ReferenceScore",
    "ReleaseGate",
    "Report",
    "ReportKind",
    "Role",
    "RoutedOutput",
    "RoutingRule",
    "RoutingRuleDay",
    "RoutingRuleRevision",
    "Rubric",
    "RubricVersion",
    "SpanBatch",
    "SpanEncoding",
]
