"""End-user feedback on outputs: from the API and Langfuse's score API (``submit``), from spans
(``spans``), each piece read the same way (``values``)."""

from llmops_core.services.feedback.spans import feedback_pending_attach, span_feedback_store
from llmops_core.services.feedback.submit import (
    FeedbackResult,
    FeedbackRowError,
    FeedbackTargetMissing,
    feedback_submit,
)
from llmops_core.services.feedback.values import FeedbackInvalid, FeedbackValues, feedback_values

__all__ = [
    "FeedbackInvalid",
    "FeedbackResult",
    "FeedbackRowError",
    "FeedbackTargetMissing",
    "FeedbackValues",
    "feedback_pending_attach",
    "feedback_submit",
    "feedback_values",
    "span_feedback_store",
]
