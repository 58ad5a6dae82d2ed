"""Exports of labelled data: raw ratings, per-output consensus, preference pairs and SFT sets.

``spec`` checks what an export covers; ``pipeline`` streams rows from the database into a
writer; ``write`` runs one in this process or in parallel parts (``shards``); ``shapes`` and
``preferences`` build rows; ``datasheet`` describes the result; ``jobs`` runs an export as a job
(its row moves through ``services.jobs``) and records the snapshot.
"""

from llmops_core.services.exports.datasheet import app_version, datasheet_build
from llmops_core.services.exports.datasheet_md import datasheet_markdown
from llmops_core.services.exports.jobs import (
    datasheet_json,
    export_file_name,
    export_job_cancel,
    export_job_create,
    export_job_delete,
    export_job_enqueue,
    export_job_run,
    export_spec_build,
    export_to_path,
    exports_expire,
)
from llmops_core.services.exports.pipeline import ExportRun
from llmops_core.services.exports.spec import ExportFilters, ExportSpec
from llmops_core.services.exports.write import ExportOutcome, export_write

__all__ = [
    "ExportFilters",
    "ExportOutcome",
    "ExportRun",
    "ExportSpec",
    "app_version",
    "datasheet_build",
    "datasheet_json",
    "datasheet_markdown",
    "export_file_name",
    "export_job_cancel",
    "export_job_create",
    "export_job_delete",
    "export_job_enqueue",
    "export_job_run",
    "export_spec_build",
    "export_to_path",
    "export_write",
    "exports_expire",
]
