"""The Langfuse-compatible prompt API: applications on the Langfuse SDK fetch prompts from here.

Point the SDK at the workbench (``base_url``/``LANGFUSE_HOST``) with a project's ingest key pair
(``LANGFUSE_PUBLIC_KEY``, ``LANGFUSE_SECRET_KEY``) and ``get_prompt``, ``create_prompt`` and
``update_prompt`` work unchanged. The wire format follows what the Langfuse Python SDK (5.x:
``langfuse/api/prompts/raw_client.py``, ``langfuse/api/prompt_version/raw_client.py``,
``langfuse/api/prompts/types/``, ``langfuse/_client/client.py``) sends and parses, and the
Langfuse server's handlers (langfuse/langfuse: ``web/src/features/prompts/server/handlers/``,
``.../actions/createPrompt.ts``, ``.../actions/updatePrompts.ts``,
``packages/shared/src/features/prompts/types.ts`` and ``constants.ts``,
``web/src/features/public-api/server/withMiddlewares.ts``):

- ``GET /api/public/v2/prompts/{name}?label=…|version=…``: one version; ``production`` when
  neither is given. ``latest`` names the newest version (Langfuse's reserved label). Body:
  ``name, version, type (text|chat), prompt, config, labels, tags, commitMessage`` plus
  ``id, projectId, createdAt, updatedAt, createdBy, resolutionGraph`` (null: no dependencies).
  The SDK sends no ``If-None-Match``; other clients get an ``ETag`` (a digest of the body, so
  it changes when a label moves on or off the version) and ``304``.
- ``GET /api/public/v2/prompts?name&label&tag&version&fromUpdatedAt&toUpdatedAt&page&limit``:
  ``{"data": [{name, type, versions, labels, tags, lastUpdatedAt, lastConfig}], "meta":
  {page, limit, totalItems, totalPages}}``, by name; filters narrow the versions before they
  are grouped (``limit`` 1-100, default 10; a page past the end is empty, not an error).
- ``POST /api/public/v2/prompts``: Langfuse's ``CreatePromptRequest`` (``name, type, prompt,
  config, labels, tags, commitMessage``); ``201`` with the new version, ``200`` when a version
  with that content existed (versions are unique by content here).
- ``PATCH /api/public/v2/prompts/{name}/versions/{version}`` ``{"newLabels": [...]}``: adds
  the labels to the version, moving each off the version that had it (the version's other
  labels stay), and answers the updated version.

Errors are Langfuse's: ``{"message": "...", "error": "LangfuseNotFoundError"}`` (the error's
name: ``InvalidRequestError`` 400, ``UnauthorizedError`` 401, ``ForbiddenError`` 403,
``LangfuseNotFoundError`` 404, ``MethodNotAllowedError`` 405); an invalid request body or query
gives ``error`` as the list of issues (``path``, ``message``), as Langfuse's zod errors do. A
label move the release gate refuses answers ``403`` ``ForbiddenError`` (as Langfuse answers a
move of a protected label) with the gate's ``reasons``; the SDK raises ``AccessDeniedError``.

Authentication: the key pair as HTTP Basic (what the SDK sends) or ``Bearer <secret key>``
(``api.authentication.IngestKeyAuthentication``). A key acts for its own project only, as a
lead that can never override the gate. How Langfuse prompts map onto prompt versions is in
``services.langfuse_prompts``.
"""
