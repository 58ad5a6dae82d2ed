"""LLM judges: endpoints, judge versions, runs through the LLM run machinery, comparison reports."""
