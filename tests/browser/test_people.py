"""Setting up a study's people in real headless chromium: a project, reviewers, an invitee."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from llmops_core.models import Membership, Project, Role
from tests.browser.conftest import SCREENSHOTS, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _add_member(page: Any, who: str) -> None:
    page.fill("#id_user", who)
    page.select_option("#id_role", "reviewer")
    page.click("#member-add button[type=submit]")


def test_staff_creates_a_project_adds_three_reviewers_and_invites_a_fourth(
    page: Any, live_server: Any, browser: Any
) -> None:
    UserFactory(username="sam", is_staff=True)
    for name in ("rita", "remy", "rosa"):
        UserFactory(username=name, email=f"{name}@example.org")
    base = live_server.url
    log_in(page, base, "sam")

    # A new project: the slug follows the name as it is typed.
    page.click("#project-new-link")
    page.fill("#id_name", "Travel FAQ: tone study")
    assert page.input_value("#id_slug") == "travel-faq-tone-study"
    page.fill("#id_description", "Which prompt answers travellers best?")
    page.click("#project-form button[type=submit]")
    page.wait_for_selector("text=you are its admin")
    assert page.url == f"{base}/p/travel-faq-tone-study/members/"

    # Three reviewers: by username, by email in another case, and one mistake first.
    _add_member(page, "rita")
    page.wait_for_selector("text=rita added as reviewer.")
    _add_member(page, "ROMY")
    assert "no active user has the username or email" in page.inner_text(".field-user .error")
    _add_member(page, "Remy@Example.org")
    page.wait_for_selector("text=remy added as reviewer.")
    _add_member(page, "rosa")
    page.wait_for_selector("text=rosa added as reviewer.")
    names = page.locator("#members-table .member-name").all_inner_texts()
    assert names == ["remy", "rita", "rosa", "sam"]

    # The only admin cannot step down.
    page.select_option('tr[data-member="sam"] select[name=role]', "lead")
    page.click('tr[data-member="sam"] button:has-text("Change")')
    assert "sam is the only admin" in page.inner_text("#member-error")
    project = Project.objects.get(slug="travel-faq-tone-study")
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"sam": "admin", "rita": "reviewer", "remy": "reviewer", "rosa": "reviewer"}

    # An invitation for someone without an account yet.
    page.goto(base + "/")
    page.click("#users-link")
    page.click("#user-new-link")
    page.check("input[name=method][value=invitation]")
    page.fill("#id_email", "ines@example.org")
    page.click("#user-form button[type=submit]")
    link = page.inner_text("#invitation-link").strip()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert link.startswith(f"{base}/invitations/")
    page.screenshot(path=str(SCREENSHOTS / "people-invitation.png"))

    invitee = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    try:
        invitee.goto(link)
        assert "This invitation was made for ines@example.org." in invitee.content()
        invitee.fill("#id_username", "ines")
        invitee.fill("#id_password", "Ines-own-passphrase-4")
        invitee.fill("#id_password_again", "Ines-own-passphrase-4")
        invitee.click("#accept-form button[type=submit]")
        invitee.wait_for_selector("text=Welcome, ines: your account is ready.")
        assert invitee.url == f"{base}/"
        assert invitee.inner_text(".who") == "ines"
        invitee.goto(link)  # a second use
        assert "already used" in invitee.inner_text("#invitation-problem")
    finally:
        invitee.context.close()
    ines = get_user_model().objects.get(username="ines")
    assert ines.email == "ines@example.org"

    # Back on the members page, the new account is added like anyone else.
    page.goto(f"{base}/p/travel-faq-tone-study/members/")
    _add_member(page, "ines@example.org")
    page.wait_for_selector("text=ines added as reviewer.")
    page.screenshot(path=str(SCREENSHOTS / "people-members.png"), full_page=True)
    assert Membership.objects.get(project=project, user=ines).role == Role.REVIEWER

    # Removing someone asks first; dismissing the question keeps them.
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.click('tr[data-member="ines"] .member-remove')
    assert questions == ["Remove ines from Travel FAQ: tone study?"]
    assert Membership.objects.filter(project=project, user=ines).exists()
    page.once("dialog", lambda d: d.accept())
    page.click('tr[data-member="ines"] .member-remove')
    page.wait_for_selector("text=ines removed from Travel FAQ: tone study.")
    assert not Membership.objects.filter(project=project, user=ines).exists()
