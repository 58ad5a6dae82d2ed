"""Error classes raised by the LLM call machinery."""

from __future__ import annotations


class LLMError(Exception):
    """Base class for every error raised by ``llmops_core.llm``."""


class ConfigError(LLMError, ValueError):
    """An endpoint, retry policy or price table is unusable; ``field`` names the culprit."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class EgressRefused(ConfigError):
    """An endpoint's host, or an address it resolves to, is not one LLM calls may reach.

    The message never depends on whether anything listens at the address (no connection is
    made), so it cannot be used to scan ports.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, field="base_url")


class PromptError(LLMError, ValueError):
    """A prompt template or its input cannot be rendered into chat messages."""


class MissingVariableError(PromptError):
    """A template names variables that the input does not provide."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        quoted = ", ".join(f'"{name}"' for name in names)
        noun = "variable" if len(names) == 1 else "variables"
        super().__init__(f"missing template {noun} {quoted}")


class ParseError(LLMError, ValueError):
    """A judge reply cannot be read as the scores or verdicts that were asked for."""
