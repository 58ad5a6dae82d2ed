"""User endpoints for the instance's admins: list accounts, create one (one-time password or
invitation link), by the same services as the users page."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from llmops_core.models import Invitation
from llmops_core.permissions import InstanceAdminPermission, signed_in
from llmops_core.selectors.people import user_list
from llmops_core.services.users import invitation_create, user_create_with_password

INVITATION = "invitation"
PASSWORD = "password"  # noqa: S105 (a method's name, not a password)


# An address, or "" when none was given: declared as text, since "" is no email address.
def _email() -> serializers.CharField:
    return serializers.CharField(read_only=True, help_text='An email address, or "" if none.')


class UserSerializer(serializers.ModelSerializer[User]):
    email = _email()
    project_count = serializers.IntegerField(read_only=True, default=0)
    must_change_password = serializers.BooleanField(
        source="must_change", read_only=True, default=False
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "is_active",
            "is_staff",
            "date_joined",
            "last_login",
            "project_count",
            "must_change_password",
        ]
        read_only_fields = fields


class UserCreateSerializer(serializers.Serializer[Any]):
    method = serializers.ChoiceField(
        choices=[INVITATION, PASSWORD],
        help_text="invitation: a link whose holder chooses a username and password; "
        "password: an account with a one-time password, to be replaced at first sign-in.",
    )
    username = serializers.CharField(
        max_length=150, required=False, default="", help_text="Required with method=password."
    )
    email = serializers.EmailField(required=False, default="", max_length=254)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["method"] == PASSWORD and not attrs["username"].strip():
            raise serializers.ValidationError({"username": "required with method=password"})
        return attrs


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    email = _email()

    class Meta:
        model = Invitation
        fields = ["id", "email", "created_at", "expires_at"]
        read_only_fields = fields


class UserCreatedSerializer(serializers.Serializer[Any]):
    """What a new account or invitation answers: the secret it carries is shown this once."""

    method = serializers.ChoiceField(choices=[INVITATION, PASSWORD])
    user = UserSerializer(allow_null=True, help_text="The new account (method=password).")
    one_time_password = serializers.CharField(
        allow_null=True, help_text="method=password: hand it over; it works for one sign-in."
    )
    invitation = InvitationSerializer(allow_null=True, help_text="method=invitation.")
    invitation_url = serializers.URLField(
        allow_null=True, help_text="method=invitation: the link to send; it works once."
    )


class UserListApi(generics.ListAPIView[User]):
    """List every account; create one with a one-time password or an invitation link.

    For the instance's admins (Django staff) only; everyone else gets 403.
    """

    permission_classes = [InstanceAdminPermission]
    serializer_class = UserSerializer
    ordering_fields = ["username", "date_joined", "last_login"]

    def get_queryset(self) -> QuerySet[User]:
        return user_list()

    @extend_schema(request=UserCreateSerializer, responses={201: UserCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = UserCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values, actor = data.validated_data, signed_in(request.user)
        body: dict[str, Any] = {
            "method": values["method"],
            "user": None,
            "one_time_password": None,
            "invitation": None,
            "invitation_url": None,
        }
        if values["method"] == PASSWORD:
            user, password = user_create_with_password(
                username=values["username"], email=values["email"], actor=actor
            )
            user = user_list().get(pk=user.pk)
            body.update(user=UserSerializer(user).data, one_time_password=password)
        else:
            invitation, token = invitation_create(email=values["email"], actor=actor)
            url = request.build_absolute_uri(reverse("invitation-accept", args=[token]))
            body.update(invitation=InvitationSerializer(invitation).data, invitation_url=url)
        response = Response(body, status=status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response
