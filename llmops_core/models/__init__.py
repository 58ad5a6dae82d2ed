"""Domain models of the LLMOps core, split by subdomain."""

from llmops_core.models.jobs import AsyncJob, AuditEvent, ImportFormat, ImportJob, JobStatus
from llmops_core.models.outputs import Dataset, DatasetRow, ModelOutput
from llmops_core.models.projects import ROLE_RANK, Membership, Project, Role
from llmops_core.models.prompts import Promotion, PromptLabel, PromptTemplate, PromptVersion
from llmops_core.models.rubrics import Criterion, Rubric, RubricVersion

__all__ = [
    "ROLE_RANK",
    "AsyncJob",
    "AuditEvent",
    "Criterion",
    "Dataset",
    "DatasetRow",
    "ImportFormat",
    "ImportJob",
    "JobStatus",
    "Membership",
    "ModelOutput",
    "Project",
    "Promotion",
    "PromptLabel",
    "PromptTemplate",
    "PromptVersion",
    "Role",
    "Rubric",
    "RubricVersion",
]
