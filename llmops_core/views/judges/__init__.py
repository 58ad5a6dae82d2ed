"""HTML pages of judges: configure, run, watch a run and its calls, read the comparison report.

Routes in ``llmops_core/urls.py``. Leads and admins only.
"""
