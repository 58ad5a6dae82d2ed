"""Named reads of the LLMOps core, one module per area, scoped by project, user and role."""
