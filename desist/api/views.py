"""API views. The same gate as the pages: lists and records come from desist.accounts.access."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from desist.accounts.access import (
    can_create_participant,
    get_participant_for,
    get_participant_for_edit,
    participants_for,
)
from desist.accounts.constants import CASELOAD_ROLES, Role
from desist.api.permissions import HasAnyRole
from desist.api.serializers import (
    ParticipantSerializer,
    PseudonymisedParticipantSerializer,
    SearchSerializer,
)
from desist.people import services
from desist.people.constants import AccessPurpose, Status, Strand
from desist.people.models import Participant
from desist.people.selectors import participant_search_filter, pseudonymised_rows_for

PURPOSE_HEADER = "X-Access-Purpose"


def access_purpose(request: Request) -> str:
    """The purpose the caller gave in the header for reading a participant's record: one of
    AccessPurpose, optionally followed by ": " and a note. A 400 naming the header if not."""
    purpose = request.headers.get(PURPOSE_HEADER, "").strip()
    code = purpose.split(":", 1)[0]
    if code not in AccessPurpose.values:
        raise ValidationError(
            {
                PURPOSE_HEADER: [
                    f"Give the purpose of access in the {PURPOSE_HEADER} header, "
                    f"one of: {', '.join(AccessPurpose.values)}."
                ]
            }
        )
    return purpose[:300]


class ParticipantFilter(django_filters.FilterSet):
    # Only non-identifying filters in the query string: names are searched with POST /search/.
    strand = django_filters.ChoiceFilter(choices=Strand.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    region = django_filters.CharFilter(field_name="region__code")

    class Meta:
        model = Participant
        fields = ["strand", "status", "region"]


class ParticipantViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Participant],
):
    """Participants the caller may see. Reading one record needs an X-Access-Purpose header."""

    access_policy = {
        "GET": "participant",
        "PATCH": "participant_write",
        "POST": "roles:" + ",".join(sorted(CASELOAD_ROLES)),
    }
    serializer_class = ParticipantSerializer
    permission_classes = [HasAnyRole]
    required_roles = CASELOAD_ROLES
    filterset_class = ParticipantFilter
    lookup_field = "uuid"
    lookup_url_kwarg = "participant_uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Participant]:
        return (
            participants_for(self.request.user)
            .select_related("region", "supervising_organisation", "supervising_officer")
            .prefetch_related("aliases", "legal_bases", "agencies")
            .order_by("family_name", "given_name", "id")
        )

    def get_object(self) -> Participant:
        key = self.kwargs[self.lookup_url_kwarg]
        if self.request.method in ("PATCH", "PUT"):
            participant = get_participant_for_edit(self.request.user, key)
        else:
            participant = get_participant_for(self.request.user, key)
        return self.get_queryset().get(pk=participant.pk)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self._audit_listed(response)
        return response

    def _audit_listed(self, response: Response) -> None:
        results = response.data.get("results", []) if response.data else []
        refs = [row["id"] for row in results]
        if refs:
            services.participants_record_list_view(
                actor=self.request.user,  # type: ignore[arg-type]
                participants=Participant.objects.filter(uuid__in=refs).only("uuid"),
                context="api",
            )

    @extend_schema(
        parameters=[OpenApiParameter(PURPOSE_HEADER, str, OpenApiParameter.HEADER, required=True)]
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        participant = self.get_object()
        purpose = access_purpose(request)
        services.participant_record_view(
            actor=request.user,  # type: ignore[arg-type]
            participant=participant,
            purpose=purpose,
        )
        return Response(self.get_serializer(participant).data)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_create_participant(request.user):
            return Response({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agencies = data.pop("agencies", [])
        participant = services.participant_create(
            actor=request.user,  # type: ignore[arg-type]
            data=data,
            agencies=agencies,
        )
        fresh = self.get_queryset().get(pk=participant.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        participant = self.get_object()
        serializer = self.get_serializer(participant, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        agencies = data.pop("agencies", None)
        services.participant_update(
            actor=request.user,  # type: ignore[arg-type]
            participant=self.get_queryset().get(pk=participant.pk),
            data=data,
            agencies=agencies,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=participant.pk)).data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=SearchSerializer)
    @action(detail=False, methods=["post"])
    def search(self, request: Request) -> Response:
        """Search by name or identifier. POST keeps names out of addresses and logs."""
        query = SearchSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        queryset = self.filter_queryset(self.get_queryset()).filter(
            participant_search_filter(query.validated_data["q"])
        )
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        response = self.get_paginated_response(serializer.data)
        self._audit_listed(response)
        return response


class PseudonymisedParticipantViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[Participant]):
    """Non-identifying rows for analysts: pseudonym, year of birth, sex, strand, status, region."""

    access_policy = "roles:analyst,programme_manager"
    serializer_class = PseudonymisedParticipantSerializer
    permission_classes = [HasAnyRole]
    required_roles = (Role.ANALYST, Role.PROGRAMME_MANAGER)
    filterset_class = ParticipantFilter

    def get_queryset(self) -> QuerySet[Participant]:
        return pseudonymised_rows_for(self.request.user)
