"""The ingest keys page: leads create key pairs (the secret is shown once) and revoke them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from llmops_core.errors import DomainError
from llmops_core.models import IngestKey, Role, SpanBatch
from llmops_core.permissions import project_for_request, signed_in
from llmops_core.services.ingest_keys import ingest_key_create, ingest_key_revoke


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ingest_key_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's key pairs and recent batches; create a pair (its secret shown once)."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    created = None
    if request.method == "POST":
        try:
            key, secret = ingest_key_create(
                project=project,
                name=request.POST.get("name", ""),
                created_by=signed_in(request.user),
            )
            created = {"public_key": key.public_key, "secret_key": secret}
        except DomainError as exc:
            messages.error(request, str(exc))
    context = {
        "project": project,
        "keys": IngestKey.objects.filter(project=project).select_related("created_by")[:200],
        "batches": SpanBatch.objects.filter(project=project).defer("body")[:20],
        "created": created,
        "endpoint": request.build_absolute_uri(reverse("otlp-traces")),
    }
    return render(request, "llmops_core/ingest_keys.html", context)


@login_required
@require_POST
def ingest_key_revoke_view(request: HttpRequest, project_slug: str, pk: int) -> HttpResponse:
    """Revoke one key pair of the project."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    key = get_object_or_404(IngestKey, pk=pk, project=project)
    ingest_key_revoke(key=key, actor=signed_in(request.user))
    messages.success(request, f"Key “{key.name}” ({key.public_key}) revoked.")
    return redirect("ingest-keys", project_slug=project.slug)
