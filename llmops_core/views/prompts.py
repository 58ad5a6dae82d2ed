"""HTML pages of prompt templates: the list, and a new template (then its first version).

Leads and admins only (reviewers get 403, non-members 404), as in the prompts API. A version
is made on the template's history page (``views.versions``), which "New version" opens.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from llmops_core.errors import DomainError
from llmops_core.forms.prompts import PromptTemplateForm
from llmops_core.models import Role
from llmops_core.permissions import project_for_request
from llmops_core.selectors.prompts import template_list_with_counts
from llmops_core.services.prompts import prompt_template_create

TEMPLATES_PER_PAGE = 50


@login_required
@require_safe
def prompt_list(request: HttpRequest, project_slug: str) -> HttpResponse:
    """List the project's prompt templates, 50 a page, with their labels and versions."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    page = Paginator(template_list_with_counts(project=project), TEMPLATES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "llmops_core/prompts/list.html", {"project": project, "page": page})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def prompt_new(request: HttpRequest, project_slug: str) -> HttpResponse:
    """Create a prompt template, then open its history page on the new-version form."""
    project, _ = project_for_request(request.user, project_slug, Role.LEAD)
    form = PromptTemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            template = prompt_template_create(project=project, **form.cleaned_data)
        except DomainError as exc:
            form.add_error("name", str(exc))
        else:
            messages.success(request, f'Prompt "{template.name}" created: add its first version.')
            url = reverse("prompt-history", args=[project.slug, template.name])
            return redirect(f"{url}?new=1#new-version")
    status = 400 if form.errors else 200
    context = {"project": project, "form": form}
    return render(request, "llmops_core/prompts/new.html", context, status=status)
