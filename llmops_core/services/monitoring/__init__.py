"""Monitoring: hourly roll-ups of model outputs, kept up to date as outputs are stored.

* ``rollups_add``: add just-created outputs to their roll-ups (every path that creates
  outputs calls it inside its transaction, with the ids it created);
* ``rollups_relink``: move outputs linked late to their prompt version out of "no version";
* ``rollups_rebuild``: recompute a project's roll-ups from its outputs (existing data).
"""

from llmops_core.services.monitoring.rollups import rollups_add, rollups_rebuild, rollups_relink

__all__ = ["rollups_add", "rollups_rebuild", "rollups_relink"]
