"""LLM judges: endpoints, judge versions, runs through the LLM run machinery, comparison reports.

``runs`` and ``plans`` run a judge over outputs (``services.llm_runs``); ``reports`` computes the
judge-vs-humans report: ``report_data`` reads it into plain data, ``metrics.judge_report``
computes it.
"""
