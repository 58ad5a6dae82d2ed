"""The judge-vs-humans report, computed from plain data (no database, no Django).

``types`` is the data it reads (``services.judges.report_data`` fills it from the database);
``build`` assembles every section: per criterion ``criterion`` (confusion, calibration, alpha
with the judge, length bias, kappa change) and ``annotator`` (the alternative-annotator test),
``pairwise`` (position bias, agreement with human preferences) and ``summary`` (plain words).
``services.judges.reports`` runs it as a job and stores the result.
"""
