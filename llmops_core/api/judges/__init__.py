"""API of judges: endpoints, judges and versions, runs, their calls, and comparison reports."""
