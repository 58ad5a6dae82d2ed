"""Scorecards and version comparisons, computed from plain data (no database, no Django).

``ratings`` describes the ratings they read (one entry per rating, as
``selectors.versions.version_ratings`` returns them) and the evidence a comparison rests on;
``scorecard`` builds one version's scorecard and ``comparison`` a candidate against a baseline
(through ``metrics.significance``). ``services.scorecards`` and ``services.comparisons`` read,
call these and store the result as a report.
"""
