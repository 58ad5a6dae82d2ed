"""API token endpoints: obtain one with a password, list yours, create, revoke."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from llmops_core.api.authentication import ApiTokenAuthentication
from llmops_core.api.schema import ApiErrorSerializer
from llmops_core.models import ApiToken
from llmops_core.permissions import client_ip, signed_in
from llmops_core.services.login_limits import (
    login_failure_record,
    login_limit_check,
    login_success_record,
)
from llmops_core.services.tokens import token_create, token_revoke
from llmops_core.services.users import password_change_pending


class ApiTokenSerializer(serializers.ModelSerializer[ApiToken]):
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "last4", "created_at", "last_used_at", "revoked_at", "active"]
        read_only_fields = fields


class NewTokenSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)


class CreatedTokenSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ObtainSerializer(serializers.Serializer[Any]):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)
    name = serializers.CharField(max_length=100, default="obtained")


def _created(token: ApiToken, key: str) -> Response:
    """Return the 201 that shows a new token's key, once: no cache may keep a copy."""
    data = dict(ApiTokenSerializer(token).data)
    data["key"] = key
    response = Response(data, status=status.HTTP_201_CREATED)
    add_never_cache_headers(response)
    return response


class TokenObtainApi(APIView):
    """Exchange a username and password for a new API token (rate limited like the login)."""

    permission_classes = [AllowAny]
    # Only so that a failed login answers 401 with a WWW-Authenticate header.
    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(
        request=ObtainSerializer,
        responses={201: CreatedTokenSerializer, 429: ApiErrorSerializer},
    )
    def post(self, request: Request) -> Response:
        data = ObtainSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        ip = client_ip(request._request)
        limit = login_limit_check(username=username, ip=ip)
        if limit.locked:
            raise Throttled(
                wait=limit.retry_after_seconds,
                detail="Too many failed logins; this account is locked for a while.",
            )
        user = authenticate(
            request._request, username=username, password=data.validated_data["password"]
        )
        if user is None:
            login_failure_record(username=username, ip=ip)
            raise AuthenticationFailed("Wrong username or password.")
        login_success_record(username=username, ip=ip)
        if password_change_pending(user=user):
            raise PermissionDenied(
                "this account has a one-time password: sign in on the web page and choose "
                "your own first"
            )
        token, key = token_create(user=user, name=data.validated_data["name"])
        return _created(token, key)


class TokenListApi(generics.ListAPIView[ApiToken]):
    """List your tokens (only their last four characters) and create new ones."""

    serializer_class = ApiTokenSerializer

    def get_queryset(self) -> QuerySet[ApiToken]:
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=signed_in(self.request.user))

    @extend_schema(request=NewTokenSerializer, responses={201: CreatedTokenSerializer})
    def post(self, request: Request) -> Response:
        data = NewTokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = token_create(user=signed_in(request.user), name=data.validated_data["name"])
        return _created(token, key)


class TokenRevokeApi(APIView):
    @extend_schema(request=None, responses={200: ApiTokenSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        revoked = token_revoke(token=token, actor=signed_in(request.user))
        return Response(ApiTokenSerializer(revoked).data)
