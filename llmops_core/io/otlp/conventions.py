"""The span attribute and event names the mapping reads, by convention, with where they are defined.

OpenTelemetry GenAI semantic conventions (open-telemetry/semantic-conventions):
``docs/gen-ai/gen-ai-spans.md`` (the inference span: ``gen_ai.operation.name``,
``gen_ai.provider.name``, ``gen_ai.request.model``, ``gen_ai.response.model``,
``gen_ai.usage.input_tokens``/``output_tokens``, ``gen_ai.conversation.id``, ``error.type``,
and the opt-in ``gen_ai.input.messages``, ``gen_ai.output.messages``,
``gen_ai.system_instructions``, whose shapes are ``docs/gen-ai/gen-ai-input-messages.json``
and ``gen-ai-output-messages.json``: ``{"role", "parts": [{"type": "text", "content"}]}``);
``docs/gen-ai/gen-ai-events.md`` (the ``gen_ai.client.inference.operation.details`` event
carrying the same message attributes); the registry's deprecated names that instrumentations
of v1.36.0 and before still send (``gen_ai.system``, ``gen_ai.usage.prompt_tokens``/
``completion_tokens``, the ``gen_ai.prompt``/``gen_ai.completion`` attributes of the
``gen_ai.content.prompt``/``gen_ai.content.completion`` events, and the per-message events
``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.assistant.message``,
``gen_ai.tool.message``, ``gen_ai.choice``), and the indexed ``gen_ai.prompt.N.role``/
``.content`` and ``gen_ai.completion.N.*`` attributes OpenLLMetry sends.

OpenInference (Arize-ai/openinference): ``spec/semantic_conventions.md`` and
``python/openinference-semantic-conventions/src/openinference/semconv/trace/__init__.py``:
``openinference.span.kind`` (``LLM``), ``llm.model_name``, ``llm.provider``, ``llm.system``,
``llm.token_count.prompt``/``completion``/``total``, ``llm.cost.total``, ``input.value``,
``input.mime_type``, ``output.value``, ``output.mime_type``, ``llm.input_messages.N.message.role``/
``.content``/``.contents.M.message_content.text``/``.tool_calls.K.tool_call.function.name``/
``.arguments``, ``llm.output_messages.…``, ``llm.invocation_parameters``,
``llm.prompt_template.template``/``variables``/``version``, ``session.id``, ``user.id``,
``metadata``, ``tag.tags``.

Langfuse (langfuse/langfuse-python, ``langfuse/_client/attributes.py``,
``LangfuseOtelSpanAttributes``): ``langfuse.observation.type`` (``generation``),
``langfuse.observation.model.name``, ``.model.parameters``, ``.input``, ``.output``,
``.usage_details``, ``.cost_details``, ``.prompt.name``, ``.prompt.version``, ``.level``,
``.status_message``, ``.metadata.*``; ``langfuse.trace.name``, ``.tags``, ``.metadata.*``;
``langfuse.environment``, ``langfuse.release``; user and session as ``user.id`` and
``session.id`` (earlier SDKs: ``langfuse.user.id``, ``langfuse.session.id``).
"""

from __future__ import annotations

# Which spans are LLM calls.
OPENINFERENCE_KIND = "openinference.span.kind"
LANGFUSE_TYPE = "langfuse.observation.type"
GENAI_OPERATION = "gen_ai.operation.name"
# Operations of the GenAI inference span; embeddings, execute_tool, invoke_agent are not outputs.
LLM_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "completion"})

MODEL_KEYS = (
    "gen_ai.response.model",
    "llm.response.model_name",
    "langfuse.observation.model.name",
    "llm.model_name",
    "gen_ai.request.model",
    "llm.request.model_name",
)
PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
TOKENS_IN_KEYS = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",
)
TOKENS_OUT_KEYS = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",
)
LANGFUSE_USAGE = "langfuse.observation.usage_details"
LANGFUSE_COST = "langfuse.observation.cost_details"
OPENINFERENCE_COST = "llm.cost.total"

SESSION_KEYS = ("session.id", "langfuse.session.id", "gen_ai.conversation.id")
USER_KEYS = ("user.id", "langfuse.user.id", "enduser.id")
TAG_KEYS = ("tag.tags", "langfuse.trace.tags")

PROMPT_NAME_KEYS = ("langfuse.observation.prompt.name", "gen_ai.prompt.name")
PROMPT_VERSION_KEYS = ("langfuse.observation.prompt.version", "llm.prompt_template.version")
TEMPLATE = "llm.prompt_template.template"
TEMPLATE_VARIABLES = "llm.prompt_template.variables"

# Messages as attributes.
GENAI_INPUT_MESSAGES = "gen_ai.input.messages"
GENAI_OUTPUT_MESSAGES = "gen_ai.output.messages"
GENAI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"
GENAI_PROMPT_PREFIX = "gen_ai.prompt."
GENAI_COMPLETION_PREFIX = "gen_ai.completion."
OI_INPUT_PREFIX = "llm.input_messages."
OI_OUTPUT_PREFIX = "llm.output_messages."
INPUT_VALUE = "input.value"
INPUT_MIME = "input.mime_type"
OUTPUT_VALUE = "output.value"
OUTPUT_MIME = "output.mime_type"
LANGFUSE_INPUT = "langfuse.observation.input"
LANGFUSE_OUTPUT = "langfuse.observation.output"

# Messages as span events.
EVENT_DETAILS = "gen_ai.client.inference.operation.details"
EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
EVENT_CHOICE = "gen_ai.choice"
EVENT_PROMPT = "gen_ai.content.prompt"
EVENT_COMPLETION = "gen_ai.content.completion"
EVENT_EXCEPTION = "exception"

# Status and error.
ERROR_TYPE = "error.type"
LANGFUSE_LEVEL = "langfuse.observation.level"
LANGFUSE_STATUS_MESSAGE = "langfuse.observation.status_message"

# Kept in the output's metadata.
PARAMETER_KEYS = ("llm.invocation_parameters", "langfuse.observation.model.parameters")
REQUEST_PARAMETER_PREFIX = "gen_ai.request."
OPERATION_KEYS = (GENAI_OPERATION,)
FINISH_REASONS = "gen_ai.response.finish_reasons"
OI_METADATA = "metadata"
LANGFUSE_METADATA_PREFIXES = ("langfuse.observation.metadata.", "langfuse.trace.metadata.")
LANGFUSE_METADATA_KEYS = ("langfuse.observation.metadata", "langfuse.trace.metadata")
TRACE_NAME = "langfuse.trace.name"
ENVIRONMENT_KEYS = ("langfuse.environment", "deployment.environment.name", "deployment.environment")
RELEASE = "langfuse.release"
SERVICE_NAME = "service.name"
