"""HTML forms of the LLMOps core, one module per area: shapes and field checks only."""
