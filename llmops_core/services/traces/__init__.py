"""Traces in over OTLP/HTTP: a request is stored as a batch and acknowledged, a worker maps it.

* ``span_batch_receive`` (the web request): refuse what cannot be taken (413, 415, 400, 503),
  count the spans it refuses, store the body as sent in one insert, dispatch the batch.
* ``span_batch_process`` (the worker): map LLM spans to model outputs, insert them with the
  import's plain-SQL path (idempotent by project, trace id and span id), call
  ``outputs_ingested`` with the new rows' ids, and mark the batch done, in one transaction;
  a worker killed on any line leaves the batch to the stale-job sweep, and nothing twice.
  It goes on with the oldest batches still waiting, one claim at a time, up to a cap.
* ``outputs_ingested``: the one function every path that creates model outputs from spans
  calls, inside its transaction, with the ids it created.
* ``prompt_refs_link``: outputs that named a prompt version not registered then are linked
  once it is (``services.prompts.prompt_version_create`` calls it).
"""

from llmops_core.services.traces.links import outputs_ingested, prompt_refs_link
from llmops_core.services.traces.receive import Receipt, span_batch_receive
from llmops_core.services.traces.store import span_batch_process

__all__ = [
    "Receipt",
    "outputs_ingested",
    "prompt_refs_link",
    "span_batch_process",
    "span_batch_receive",
]
