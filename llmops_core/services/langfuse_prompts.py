"""Writes behind the Langfuse-compatible prompt API: a version from a Langfuse prompt, new labels.

How a Langfuse prompt maps onto a prompt version here (the API module's docstring has the wire
format):

- ``text``: the prompt string is the version's template; the version has no system message.
- ``chat``: an optional ``system`` message followed by one ``user`` message: the system message
  and the template. Other shapes (assistant turns, several user turns, placeholders) have no
  place in a version and are refused, naming the message. The template is marked ``chat``, so
  every version of it is served as chat messages; a version with a system message is served as
  chat in any case. A prompt keeps one type, as in Langfuse.
- ``config``: ``model`` is the version's model (default: the newest version's); every other key
  is one of its parameters, sent to the model by generation runs.
- ``commitMessage`` is the version's note; ``tags`` belong to the template (all its versions).
- A version's content is unique per template: creating one with the content of an existing
  version returns that version (and moves the labels to it) instead of a copy.

Labels move as the PUT label endpoint moves them, with an ingest key acting as a lead of its
project that never overrides: any label moves freely except ``production``, which moves only
through the release gate. Nothing is half-written: a refused label refuses the whole request
(the new version included), and the refusal is written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from llmops_core.errors import DomainError
from llmops_core.models import (
    IngestKey,
    Project,
    PromptLabel,
    PromptTag,
    PromptTemplate,
    PromptVersion,
)
from llmops_core.selectors.langfuse_prompts import LATEST
from llmops_core.selectors.prompts import PRODUCTION
from llmops_core.services.audit import audit_record
from llmops_core.services.promotion import (
    PromotionRefused,
    promotion_refused_audit,
    prompt_label_move,
)
from llmops_core.services.prompts import (
    prompt_template_create,
    prompt_template_lock,
    prompt_version_create,
)

TEXT, CHAT = "text", "chat"
# Labels as this workbench stores them (slugs) and Langfuse writes them (lower case).
LABEL = re.compile(r"[a-z0-9_-]{1,64}")
NAME = re.compile(r"[-a-zA-Z0-9_]{1,120}")
MAX_NOTE = PromptVersion._meta.get_field("note").max_length or 300
MAX_TAG = PromptTag._meta.get_field("name").max_length or 100
MAX_MODEL = PromptVersion._meta.get_field("model_name").max_length or 200


@dataclass(frozen=True)
class PromptContent:
    """What a Langfuse prompt becomes: a version's template and system message."""

    template_text: str
    system_message: str


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DomainError(f'field "{where}": needs a non-empty string')
    return value


def langfuse_content(*, kind: str, prompt: Any) -> PromptContent:
    """Return the template and system message a Langfuse prompt of type ``kind`` stands for."""
    if kind == TEXT:
        if isinstance(prompt, list):
            raise DomainError('field "type": a list of messages is a "chat" prompt; say so')
        return PromptContent(_text(prompt, "prompt"), "")
    if not isinstance(prompt, list) or not 1 <= len(prompt) <= 2:
        raise DomainError(
            'field "prompt": a chat prompt here is an optional system message followed by one '
            "user message (a version's system message and template)"
        )
    roles = ["system", "user"][-len(prompt) :]
    texts = []
    for index, (message, role) in enumerate(zip(prompt, roles, strict=True)):
        where = f"prompt.{index}"
        if not isinstance(message, dict):
            raise DomainError(f'field "{where}": is not a message object')
        if message.get("type") == "placeholder":
            raise DomainError(f'field "{where}": message placeholders are not supported here')
        if message.get("role") != role:
            raise DomainError(
                f'field "{where}.role": expected "{role}" (an optional system message, then one '
                f"user message), got {str(message.get('role'))[:40]!r}"
            )
        texts.append(_text(message.get("content"), f"{where}.content"))
    return PromptContent(texts[-1], texts[0] if len(texts) == 2 else "")


def langfuse_labels_clean(labels: Sequence[str], *, where: str, latest_ok: bool) -> list[str]:
    """Return the labels, each checked and once, ``latest`` dropped (it is not set by hand)."""
    cleaned: list[str] = []
    for index, label in enumerate(labels):
        if label == LATEST:
            if latest_ok:
                continue
            raise DomainError(
                f'field "{where}.{index}": "latest" is reserved: it always names the newest version'
            )
        if not LABEL.fullmatch(label):
            raise DomainError(
                f'field "{where}.{index}": {label[:70]!r} is not a label: 1-64 lower-case '
                "letters, digits, hyphens or underscores"
            )
        if label not in cleaned:
            cleaned.append(label)
    return cleaned


def _tags_clean(tags: Sequence[str] | None) -> list[str] | None:
    if tags is None:
        return None
    cleaned = []
    for index, tag in enumerate(tags):
        tag = tag.strip()
        if not tag or len(tag) > MAX_TAG:
            raise DomainError(f'field "tags.{index}": a tag has 1-{MAX_TAG} characters')
        cleaned.append(tag)
    return sorted(set(cleaned))


def _model_and_parameters(config: Any, latest: PromptVersion | None) -> tuple[str, dict[str, Any]]:
    """Split a Langfuse config into the version's model and parameters."""
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise DomainError('field "config": must be a JSON object (model and parameters)')
    parameters = dict(config)
    model = parameters.pop("model", None)
    if model is None and latest is not None:
        model = latest.model_name
    if not isinstance(model, str) or not model.strip() or len(model) > MAX_MODEL:
        raise DomainError(
            f'field "config.model": a prompt version here needs a model: 1-{MAX_MODEL} '
            "characters (the first version of a prompt must name it)"
        )
    return model, parameters


def _served_kind(template: PromptTemplate, version: PromptVersion) -> str:
    return CHAT if template.chat or version.system_message else TEXT


def _template_for(
    project: Project, name: str, kind: str
) -> tuple[PromptTemplate, PromptVersion | None]:
    """Return the template named ``name`` (created if new) and its newest version, locked."""
    if not NAME.fullmatch(name):
        raise DomainError(
            f'field "name": {name[:130]!r} is not a prompt name here: 1-120 letters, digits, '
            "hyphens or underscores (no folders)"
        )
    template = PromptTemplate.objects.filter(project=project, name=name).first()
    if template is None:
        try:
            with transaction.atomic():
                template = prompt_template_create(project=project, name=name)
        except (IntegrityError, DomainError):  # created meanwhile by a concurrent request
            template = PromptTemplate.objects.get(project=project, name=name)
    prompt_template_lock(template_id=template.pk)
    latest = PromptVersion.objects.filter(template=template).order_by("-number").first()
    if latest is not None and _served_kind(template, latest) != kind:
        raise DomainError(
            f'field "type": prompt "{name}" is a {_served_kind(template, latest)} prompt '
            f"(version {latest.number}); a prompt keeps one type, so create a {kind} prompt "
            "under another name"
        )
    return template, latest


def _labels_add(*, version: PromptVersion, labels: Sequence[str], key: IngestKey) -> None:
    """Move each label to ``version`` unless it is there already (Langfuse: a no-op)."""
    here = set(
        PromptLabel.objects.filter(template_id=version.template_id, version=version).values_list(
            "name", flat=True
        )
    )
    for label in labels:
        if label not in here:
            prompt_label_move(version=version, label=label, key=key)


def _tags_set(template: PromptTemplate, tags: list[str]) -> None:
    PromptTag.objects.filter(template=template).exclude(name__in=tags).delete()
    PromptTag.objects.bulk_create(
        [PromptTag(template=template, name=tag) for tag in tags], ignore_conflicts=True
    )


def langfuse_prompt_create(
    *,
    key: IngestKey,
    name: str,
    kind: str,
    prompt: Any,
    config: Any = None,
    labels: Sequence[str] = (),
    tags: Sequence[str] | None = None,
    commit_message: str = "",
) -> tuple[PromptVersion, bool]:
    """Create a version of prompt ``name`` in the key's project from a Langfuse prompt.

    Return the version and whether it is new (an existing version with the same content is
    returned instead of a copy). Labels move to it as described in the module docstring.
    """
    content = langfuse_content(kind=kind, prompt=prompt)
    wanted = langfuse_labels_clean(labels, where="labels", latest_ok=True)
    tag_names = _tags_clean(tags)
    note = (commit_message or "").strip()
    if len(note) > MAX_NOTE:
        raise DomainError(f'field "commitMessage": at most {MAX_NOTE} characters (got {len(note)})')
    version: PromptVersion | None = None
    try:
        with transaction.atomic():
            template, latest = _template_for(key.project, name, kind)
            model, parameters = _model_and_parameters(config, latest)
            version, created = prompt_version_create(
                template=template,
                template_text=content.template_text,
                system_message=content.system_message,
                model_name=model,
                parameters=parameters,
                note=note,
            )
            if kind == CHAT and not template.chat:
                template.chat = True
                template.save(update_fields=["chat"])
            if tag_names is not None:
                _tags_set(template, tag_names)
            _labels_add(version=version, labels=wanted, key=key)
            audit_record(
                actor=None,
                action="prompt.version_create",
                obj=version,
                project=key.project,
                after={
                    "name": name,
                    "version": version.number,
                    "created": created,
                    "labels": wanted,
                    "tags": tag_names,
                    "ingest_key": key.public_key,
                },
            )
            return version, created
    except PromotionRefused as exc:
        assert version is not None
        # The version may have been rolled back with the request: the key is what remains.
        promotion_refused_audit(
            obj=key, version=version, label=PRODUCTION, exc=exc, actor=None, key=key
        )
        raise


def langfuse_prompt_labels_add(
    *, key: IngestKey, version: PromptVersion, labels: Sequence[str]
) -> PromptVersion:
    """Add ``labels`` to ``version`` (Langfuse's ``newLabels``): each moves off the version
    that had it; the version's other labels stay. All or nothing."""
    wanted = langfuse_labels_clean(labels, where="newLabels", latest_ok=False)
    try:
        with transaction.atomic():
            _labels_add(version=version, labels=wanted, key=key)
    except PromotionRefused as exc:
        promotion_refused_audit(
            obj=version, version=version, label=PRODUCTION, exc=exc, actor=None, key=key
        )
        raise
    return version
