"""The agreement report, computed from ratings in long format (no database, no Django).

``sections`` turns the ratings into the report's sections per criterion (through the engine in
``metrics.report``), the trend, the reviewers' table and the most contested items; ``summary``
says it in plain words. ``services.reports.compute`` reads the ratings, calls these and stores
the result.
"""
