"""What every API view of the delivery resources shares: the declared access policy (one per
action, and the same string is what the permission check enforces), one not-found answer for
missing, forbidden and refused, services' errors as 400s naming the field, the purpose header
and the audit of what was shown.

A viewset declares `access_policy` (policy per HTTP method) and, where an action needs a
narrower one, `action_policies` (policy per action name). `as_view` puts the route's own
{method: policy} on the view function, so the route walker (tests/test_route_access.py) sees
what each route really allows, and `DeclaredPolicy` checks the same string on every request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, viewsets
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from desist.accounts.constants import CASELOAD_ROLES, OrganisationKind
from desist.accounts.models import User
from desist.api.views import PURPOSE_HEADER, access_purpose
from desist.people import services as people_services
from desist.people.constants import AccessPurpose
from desist.people.models import Participant

M = TypeVar("M", bound=Model)

PURPOSE_PARAMETER = OpenApiParameter(
    PURPOSE_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Why you are reading this record, recorded in the audit trail. One of: "
    + ", ".join(AccessPurpose.values)
    + " (optionally followed by ': ' and a note).",
)

# Policies the API uses, and the roles each lets past the first check. "participant" lets in
# anyone with a caseload role; the records themselves then come through the access gate.
CASELOAD_POLICY = "participant"
SIGNED_IN_POLICY = "signed_in"


def roles_policy(*roles: str) -> str:
    return "roles:" + ",".join(sorted(roles))


def _policy_roles(policy: str) -> tuple[str, ...] | None:
    """The roles a policy asks for; None when any signed-in user passes."""
    if policy == SIGNED_IN_POLICY:
        return None
    if policy in ("participant", "participant_write"):
        return CASELOAD_ROLES
    if policy.startswith("roles:"):
        return tuple(policy.removeprefix("roles:").split(","))
    # "public" and "staff" are not for these views: deny by default.
    return ()


class DeclaredPolicy(BasePermission):
    """Enforces the policy the view declares for this action and method. Anyone signed in who
    does not pass gets the same 404 as a missing record."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        policy = view.current_policy()
        if policy is None and view.action is None and request.method != "OPTIONS":
            return True  # a method this route does not offer: DRF answers 405, nothing runs
        if policy is None:
            raise Http404
        roles = _policy_roles(policy)
        if roles is not None and not user.has_role(*roles):
            raise Http404
        return True


def validation_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as DRF's 400 body: messages by field name."""
    if hasattr(error, "error_dict"):
        return {field: list(messages) for field, messages in error.message_dict.items()}
    return {api_settings.NON_FIELD_ERRORS_KEY: list(error.messages)}


class GatedViewSet(viewsets.GenericViewSet[M]):
    """Base for the delivery API. See the module docstring."""

    access_policy: ClassVar[Mapping[str, str]] = {}
    action_policies: ClassVar[Mapping[str, str]] = {}
    permission_classes = [DeclaredPolicy]
    lookup_field = "uuid"
    http_method_names = ["get", "post", "head", "options"]

    @classmethod
    def policy_for(cls, action: str | None, method: str) -> str | None:
        if action is not None and action in cls.action_policies:
            return cls.action_policies[action]
        method = method.upper()
        if method == "HEAD":
            method = "GET"
        return cls.access_policy.get(method)

    @classmethod
    def as_view(cls, actions: dict[str, Any] | None = None, **initkwargs: Any) -> Any:
        view: Any = super().as_view(actions, **initkwargs)
        if actions:
            policies = {
                method.upper(): policy
                for method, action in actions.items()
                if method in ("get", "post", "patch", "put", "delete")
                and (policy := cls.policy_for(action, method)) is not None
            }
            view.access_policy = policies
        return view

    def current_policy(self) -> str | None:
        method = (self.request.method or "GET").upper()
        if method == "OPTIONS":
            # As strict as the route itself: what it offers by GET, else by POST.
            action_map: dict[str, str] = getattr(self, "action_map", {})
            for offered in ("get", "post"):
                if offered in action_map:
                    return self.policy_for(action_map[offered], offered)
            return None
        return self.policy_for(self.action, method)

    def handle_exception(self, exc: Exception) -> Response:
        # Missing, forbidden, and "you may see it but not do this" look the same from outside.
        if isinstance(exc, Http404 | DjangoPermissionDenied | exceptions.NotFound):
            exc = exceptions.NotFound()
        elif isinstance(exc, DjangoValidationError):
            exc = exceptions.ValidationError(validation_detail(exc))
        return super().handle_exception(exc)

    @property
    def user(self) -> User:
        user: User = self.request.user  # type: ignore[assignment]
        return user

    @property
    def is_provider(self) -> bool:
        """Anyone in a provider organisation: never shown more than a provider may see."""
        organisation = self.user.organisation
        return organisation is not None and organisation.kind == OrganisationKind.PROVIDER

    # Looking records up through a gated queryset -------------------------------------------

    def gated_object(self, queryset: QuerySet[M]) -> M:
        """The record named in the URL, from a queryset that the gate has already narrowed."""
        return self.gated_lookup(queryset, self.kwargs[self.lookup_url_kwarg or self.lookup_field])

    @staticmethod
    def gated_lookup(queryset: QuerySet[M], key: object) -> M:
        try:
            value = uuid.UUID(str(key))
        except ValueError:
            raise exceptions.NotFound() from None
        found = queryset.filter(uuid=value).first()
        if found is None:
            raise exceptions.NotFound()
        return found

    # Audit ---------------------------------------------------------------------------------

    def access_purpose(self) -> str:
        """The purpose the caller gave in the header (as the participant API asks for it)."""
        return access_purpose(self.request)

    def record_view(self, participant: Participant) -> None:
        """One record about a participant is being shown: audit it with the caller's purpose."""
        people_services.participant_record_view(
            actor=self.user, participant=participant, purpose=self.access_purpose()
        )

    def record_list_view(self, participants: Iterable[Participant], context: str) -> None:
        """A page of records is being shown: one event naming the participants on it."""
        seen: dict[int, Participant] = {}
        for participant in participants:
            seen.setdefault(participant.pk, participant)
        people_services.participants_record_list_view(
            actor=self.user, participants=list(seen.values()), context=context
        )

    def paginated(
        self,
        queryset: QuerySet[M],
        serializer_class: Callable[..., Any],
        *,
        audit: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Response:
        """One page of the (filtered) queryset, audited as a list view when `audit` is given."""
        page = self.paginate_queryset(self.filter_queryset(queryset))
        rows = list(page or [])
        serializer_context = {**self.get_serializer_context(), **(context or {})}
        data = serializer_class(rows, many=True, context=serializer_context).data
        if audit is not None:
            # Every audited resource belongs to one participant.
            shown: list[Any] = rows
            self.record_list_view((row.participant for row in shown), context=audit)
        return self.get_paginated_response(data)

    # Input ---------------------------------------------------------------------------------

    def valid(
        self, serializer_class: Callable[..., Any], *, partial: bool = False
    ) -> dict[str, Any]:
        """The request body parsed by an input serializer; a 400 naming the fields if not."""
        serializer = serializer_class(
            data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)
