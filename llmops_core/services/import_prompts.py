"""The prompt versions an import's rows name: found, or (with ``create_prompts``) created.

A row names a template (``prompt``) and optionally a version number; with no number it gets
the template's production version, else its latest. Without ``create_prompts`` a name or
number the project lacks is a row error. With it, the missing template and version rows are
created in the transaction of the first batch that needs them, so they commit with the outputs
that point at them. A version made this way has no text (an import carries outputs, not the
prompt); its note says so, and a lead adds the real text as a new version.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from django.db import IntegrityError, transaction

from llmops_core.hashing import content_hash
from llmops_core.io.imports import ImportRow, RowError
from llmops_core.models import Project, PromptLabel, PromptTemplate, PromptVersion
from llmops_core.services.prompts import prompt_template_lock
from llmops_core.services.traces.links import prompt_refs_link

IMPORTED_NOTE: Final = "created by an import, which named it; its text is not known"
MAX_MISSING_NAMED: Final = 50
_SLUG: Final = re.compile(r"[-a-zA-Z0-9_]+")


@dataclass(frozen=True, slots=True)
class MissingVersion:
    """A version a row names that does not exist yet; ``number`` None: the template's first."""

    name: str
    number: int | None
    model: str


class PromptResolver:
    """Resolve ``prompt`` / ``prompt_version`` fields to versions, caching per template."""

    def __init__(self, project: Project, *, create: bool = False) -> None:
        self.project = project
        self.create = create
        self.created: list[str] = []
        # What rows named but the project lacks (without ``create``), for the offer to create it.
        self.missing: dict[str, None] = {}
        self._templates: dict[str, dict[int, PromptVersion] | None] = {}
        self._default: dict[str, PromptVersion | None] = {}

    def _load(self, name: str) -> dict[int, PromptVersion] | None:
        if name not in self._templates:
            template = PromptTemplate.objects.filter(project=self.project, name=name).first()
            if template is None:
                self._templates[name] = None
            else:
                versions = {v.number: v for v in template.versions.all()}
                self._templates[name] = versions
                label = PromptLabel.objects.filter(template=template, name="production").first()
                latest = versions[max(versions)] if versions else None
                self._default[name] = versions.get(label.version.number) if label else latest
        return self._templates[name]

    def resolve(self, row: ImportRow) -> PromptVersion | MissingVersion | list[RowError] | None:
        """Return the row's prompt version (None if it names none), what to create, or errors."""
        if not row.prompt:
            return None
        versions = self._load(row.prompt)
        if versions is None:
            if self.create:
                return self._missing(row, row.prompt_version)
            self._note_missing(row.prompt, row.prompt_version)
            return [RowError(row.row, "prompt", f'no prompt "{row.prompt}" in this project')]
        if row.prompt_version is None:
            default = self._default.get(row.prompt)
            if default is not None:
                return default
            if self.create:
                return MissingVersion(row.prompt, None, row.model or "")
            self._note_missing(row.prompt, None)
            return [RowError(row.row, "prompt_version", f'prompt "{row.prompt}" has no versions')]
        version = versions.get(row.prompt_version)
        if version is not None:
            return version
        if self.create:
            return MissingVersion(row.prompt, row.prompt_version, row.model or "")
        self._note_missing(row.prompt, row.prompt_version)
        reason = f'prompt "{row.prompt}" has no version {row.prompt_version}'
        return [RowError(row.row, "prompt_version", reason)]

    def _note_missing(self, name: str, number: int | None) -> None:
        if _SLUG.fullmatch(name) and len(self.missing) < MAX_MISSING_NAMED:
            self.missing[name if number is None else f"{name} v{number}"] = None

    def _missing(self, row: ImportRow, number: int | None) -> MissingVersion | list[RowError]:
        name = row.prompt or ""
        if not _SLUG.fullmatch(name):
            reason = (
                f'no prompt "{name}" in this project, and it cannot be created: a prompt name '
                'takes only letters, digits, "-" and "_"'
            )
            return [RowError(row.row, "prompt", reason)]
        return MissingVersion(name, number, row.model or "")

    def create_missing(self, missing: MissingVersion) -> PromptVersion:
        """Create (or find, if another writer just made it) ``missing``; call inside a transaction.

        The version is cached, so later rows naming it resolve to it without a query.
        """
        template = self._template(missing.name)
        prompt_template_lock(template_id=template.pk)
        versions = {v.number: v for v in template.versions.all()}
        number = missing.number or (max(versions) if versions else 1)
        version = versions.get(number)
        if version is None:
            version = PromptVersion.objects.create(
                template=template,
                number=number,
                template_text="",
                model_name=missing.model,
                parameters={},
                # Unique per template like every content hash, though the content is unknown.
                content_hash=content_hash({"imported_version": number}),
                note=IMPORTED_NOTE,
            )
            versions[number] = version
            self.created.append(f"{template.name} v{number}")
            project_id, name = template.project_id, template.name
            transaction.on_commit(
                lambda: prompt_refs_link(project_id=project_id, name=name, number=number),
                robust=True,
            )
        self._templates[missing.name] = versions
        if self._default.get(missing.name) is None:
            self._default[missing.name] = version
        return version

    def _template(self, name: str) -> PromptTemplate:
        template = PromptTemplate.objects.filter(project=self.project, name=name).first()
        if template is not None:
            return template
        try:
            with transaction.atomic():
                template = PromptTemplate.objects.create(project=self.project, name=name)
        except IntegrityError:
            # Another import created it between the look-up and the insert.
            return PromptTemplate.objects.get(project=self.project, name=name)
        self.created.append(name)
        return template
