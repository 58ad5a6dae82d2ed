"""HTML views of the LLMOps core, one module per area."""
