"""App config for the LLMOps core."""

from django.apps import AppConfig


class LlmopsCoreConfig(AppConfig):
    name = "llmops_core"
    verbose_name = "LLMOps core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from llmops_core import checks  # noqa: F401  (registers the deployment checks)
        from llmops_core.api import schema  # noqa: F401  (registers the OpenAPI extensions)
