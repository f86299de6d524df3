"""API for referrals, triage, ranking and allocation. Records come through
desist.referrals.selectors (the access gate); changes through desist.referrals.services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from desist.accounts.access import get_participant_for
from desist.accounts.constants import Role
from desist.api.filters_delivery import AllocationFilter, ReferralFilter
from desist.api.serializers_delivery import (
    AllocateInputSerializer,
    AllocationSerializer,
    AnswerInputSerializer,
    DeclineInputSerializer,
    NoteInputSerializer,
    QuestionInputSerializer,
    QueueResultSerializer,
    RankedPractitionerSerializer,
    ReallocateInputSerializer,
    ReasonInputSerializer,
    ReferralCreateInputSerializer,
    ReferralDetailSerializer,
    ReferralSerializer,
)
from desist.api.views_common import CASELOAD_POLICY, PURPOSE_PARAMETER, GatedViewSet, roles_policy
from desist.providers.models import Practitioner
from desist.referrals import selectors, services
from desist.referrals.models import Allocation, Referral

PROGRAMME_TEAM = roles_policy(Role.PROGRAMME_MANAGER)
# Who refers, answers the programme team's questions and withdraws a referral.
REFERRER_SIDE = roles_policy(
    Role.PROGRAMME_MANAGER, Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER
)
ALLOCATION_RELATED = ("referral", "participant", "practitioner__user", "allocated_by")


def _practitioner(data: dict[str, Any]) -> Practitioner:
    practitioner = Practitioner.objects.filter(uuid=data["practitioner"]).first()
    if practitioner is None:
        raise ValidationError({"practitioner": "Select a practitioner from the ranked list."})
    return practitioner


def _allocation_response(allocation: Allocation, *, created: bool = True) -> Response:
    fresh = Allocation.objects.select_related(*ALLOCATION_RELATED).get(pk=allocation.pk)
    return Response(
        AllocationSerializer(fresh).data,
        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


class ReferralViewSet(GatedViewSet[Referral]):
    """Referrals the caller may see: the programme team all, supervision their cases', a
    practitioner only the ones allocated to them. Reading one needs an X-Access-Purpose."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": REFERRER_SIDE}
    action_policies = {
        "accept": PROGRAMME_TEAM,
        "decline": PROGRAMME_TEAM,
        "request_information": PROGRAMME_TEAM,
        "ranking": PROGRAMME_TEAM,
        "allocate": PROGRAMME_TEAM,
        "allocate_queue": PROGRAMME_TEAM,
        "provide_information": REFERRER_SIDE,
        "close": REFERRER_SIDE,
    }
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    lookup_url_kwarg = "referral_uuid"
    queryset = Referral.objects.none()

    def get_queryset(self) -> QuerySet[Referral]:
        return selectors.referrals_for(self.user).order_by("referred_at", "id")

    def get_serializer_class(self) -> Any:
        return ReferralSerializer if self.action == "list" else ReferralDetailSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "provider": self.is_provider}

    def _referral(self) -> Referral:
        return selectors.referral_for(self.user, self.kwargs["referral_uuid"])

    def _detail(self, referral: Referral, *, created: bool = False) -> Response:
        fresh = selectors.referral_for(self.user, referral.uuid)
        return Response(
            ReferralDetailSerializer(fresh, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), ReferralSerializer, audit="api:referrals")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        referral = self._referral()
        self.record_view(referral.participant)
        return Response(
            ReferralDetailSerializer(referral, context=self.get_serializer_context()).data
        )

    @extend_schema(request=ReferralCreateInputSerializer, responses={201: ReferralDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refer a participant to the programme."""
        data = self.valid(ReferralCreateInputSerializer)
        participant = get_participant_for(self.user, data.pop("participant"))
        basis_id = data.pop("legal_basis")
        legal_basis = None
        if basis_id is not None:
            legal_basis = participant.legal_bases.filter(pk=basis_id).first()
            if legal_basis is None:
                raise ValidationError(
                    {"legal_basis": "Select one of this participant's legal bases."}
                )
        referral = services.referral_create(
            actor=self.user, participant=participant, legal_basis=legal_basis, **data
        )
        return self._detail(referral, created=True)

    @extend_schema(request=NoteInputSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, referral_uuid: str) -> Response:
        """Accept the referral onto the programme; it then waits for allocation."""
        referral = self._referral()
        data = self.valid(NoteInputSerializer)
        services.referral_accept(actor=self.user, referral=referral, **data)
        return self._detail(referral)

    @extend_schema(request=DeclineInputSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, referral_uuid: str) -> Response:
        """Decline with a coded reason ("other" needs a note)."""
        referral = self._referral()
        data = self.valid(DeclineInputSerializer)
        services.referral_decline(actor=self.user, referral=referral, **data)
        return self._detail(referral)

    @extend_schema(request=QuestionInputSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"], url_path="request-information")
    def request_information(self, request: Request, referral_uuid: str) -> Response:
        """Ask the referrer for more information before deciding."""
        referral = self._referral()
        data = self.valid(QuestionInputSerializer)
        services.referral_request_information(actor=self.user, referral=referral, **data)
        return self._detail(referral)

    @extend_schema(request=AnswerInputSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"], url_path="provide-information")
    def provide_information(self, request: Request, referral_uuid: str) -> Response:
        """Answer the programme team's question; the referral goes back to triage."""
        referral = self._referral()
        data = self.valid(AnswerInputSerializer)
        services.referral_provide_information(actor=self.user, referral=referral, **data)
        return self._detail(referral)

    @extend_schema(request=ReasonInputSerializer, responses={200: ReferralDetailSerializer})
    @action(detail=True, methods=["post"])
    def close(self, request: Request, referral_uuid: str) -> Response:
        """Close (withdraw) the referral; a current allocation ends with it."""
        referral = self._referral()
        data = self.valid(ReasonInputSerializer)
        services.referral_close(actor=self.user, referral=referral, **data)
        return self._detail(referral)

    @extend_schema(responses={200: RankedPractitionerSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def ranking(self, request: Request, referral_uuid: str) -> Response:
        """Every approved practitioner ranked for this referral today, with the reasons: the
        eligible ones best first, then those who cannot be allocated and why."""
        referral = self._referral()
        ranked = services.referral_rank(referral, on=timezone.localdate())
        return Response(RankedPractitionerSerializer(ranked, many=True).data)

    @extend_schema(request=AllocateInputSerializer, responses={201: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def allocate(self, request: Request, referral_uuid: str) -> Response:
        """Allocate the accepted referral to the practitioner chosen from the ranking."""
        referral = self._referral()
        data = self.valid(AllocateInputSerializer)
        allocation = services.allocation_confirm(
            actor=self.user, referral=referral, practitioner=_practitioner(data)
        )
        return _allocation_response(allocation)

    @extend_schema(request=None, responses={200: QueueResultSerializer})
    @action(detail=False, methods=["post"], url_path="allocate-queue")
    def allocate_queue(self, request: Request) -> Response:
        """Allocate every accepted referral at once by the best overall assignment; says why
        any left waiting could not be allocated."""
        today = timezone.localdate()
        allocations = services.allocate_queue(actor=self.user, on=today)
        allocated = list(
            Allocation.objects.filter(pk__in=[a.pk for a in allocations])
            .select_related(*ALLOCATION_RELATED)
            .order_by("referral__referred_at", "referral_id")
        )
        waiting = selectors.unallocated_with_reasons(self.user, on=today)
        self.record_list_view(
            [*(a.participant for a in allocated), *(w.referral.participant for w in waiting)],
            context="api:allocate-queue",
        )
        result = {"allocated": allocated, "waiting": waiting}
        return Response(QueueResultSerializer(result).data)


class AllocationViewSet(GatedViewSet[Allocation]):
    """Allocations of the referrals the caller may see (a practitioner: their own), current and
    ended, so the history of a reallocation shows."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": PROGRAMME_TEAM}
    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    lookup_url_kwarg = "allocation_uuid"
    queryset = Allocation.objects.none()

    def get_queryset(self) -> QuerySet[Allocation]:
        rows = Allocation.objects.filter(referral__in=selectors.referrals_for(self.user))
        if self.is_provider:
            rows = rows.filter(practitioner__user=self.user)
        return rows.select_related(*ALLOCATION_RELATED).order_by("-allocated_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), AllocationSerializer, audit="api:allocations")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        allocation = self.gated_object(self.get_queryset())
        self.record_view(allocation.participant)
        return Response(AllocationSerializer(allocation).data)

    @extend_schema(request=ReallocateInputSerializer, responses={201: AllocationSerializer})
    @action(detail=True, methods=["post"])
    def reallocate(self, request: Request, allocation_uuid: str) -> Response:
        """Move the referral to another practitioner: this allocation ends (kept in the
        history) and a new one starts."""
        allocation = self.gated_object(self.get_queryset())
        data = self.valid(ReallocateInputSerializer)
        new = services.allocation_reallocate(
            actor=self.user,
            allocation=allocation,
            practitioner=_practitioner(data),
            reason=data["reason"],
        )
        return _allocation_response(new)
