"""API for the programme team's provider records: practitioners (with vetting, training and
status) and contracts. No participant data here, so nothing to audit as a view; every change
goes through desist.providers.services, which audits it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from desist.accounts.constants import Role
from desist.api.filters_delivery import ContractFilter, PractitionerFilter
from desist.api.serializers_delivery import (
    ContractInputSerializer,
    ContractSerializer,
    PractitionerCreateInputSerializer,
    PractitionerDetailSerializer,
    PractitionerProfileInputSerializer,
    PractitionerSerializer,
    PractitionerStatusInputSerializer,
    TrainingInputSerializer,
    VettingInputSerializer,
)
from desist.api.views_common import GatedViewSet, roles_policy
from desist.providers import selectors, services
from desist.providers.models import Contract, Practitioner

PROGRAMME_TEAM = roles_policy(Role.PROGRAMME_MANAGER)


class PractitionerViewSet(GatedViewSet[Practitioner]):
    """Practitioners, for the programme team; `me/` is a practitioner's own record."""

    access_policy = {"GET": PROGRAMME_TEAM, "POST": PROGRAMME_TEAM, "PATCH": PROGRAMME_TEAM}
    action_policies = {"me": roles_policy(Role.PRACTITIONER)}
    serializer_class = PractitionerSerializer
    filterset_class = PractitionerFilter
    lookup_url_kwarg = "practitioner_uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Practitioner.objects.none()

    def get_queryset(self) -> QuerySet[Practitioner]:
        return (
            Practitioner.objects.select_related("user", "organisation")
            .prefetch_related("regions")
            .order_by("user__last_name", "user__first_name", "id")
        )

    def get_serializer_class(self) -> Any:
        if self.action in ("list",):
            return PractitionerSerializer
        return PractitionerDetailSerializer

    def _context(self) -> dict[str, Any]:
        today = timezone.localdate()
        return {
            "caseloads": selectors.current_caseloads(),
            "cleared_ids": set(
                selectors.cleared_practitioners(on=today).values_list("pk", flat=True)
            ),
        }

    def _detail(self, practitioner: Practitioner, *, created: bool = False) -> Response:
        fresh = (
            self.get_queryset()
            .prefetch_related("training__course", "status_history__changed_by")
            .get(pk=practitioner.pk)
        )
        context = {
            **self.get_serializer_context(),
            **self._context(),
            "clearance_problems": selectors.practitioner_clearance(fresh, on=timezone.localdate()),
        }
        return Response(
            PractitionerDetailSerializer(fresh, context=context).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    def _practitioner(self) -> Practitioner:
        return self.gated_object(self.get_queryset())

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), PractitionerSerializer, context=self._context())

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self._practitioner())

    @extend_schema(
        request=PractitionerCreateInputSerializer, responses={201: PractitionerDetailSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.valid(PractitionerCreateInputSerializer)
        practitioner = services.practitioner_create(actor=self.user, **data)
        return self._detail(practitioner, created=True)

    @extend_schema(request=PractitionerProfileInputSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        practitioner = self._practitioner()
        data = self.valid(PractitionerProfileInputSerializer, partial=True)
        # The service takes the whole profile: what was not sent stays as it is.
        profile = {
            "specialisms": practitioner.specialisms,
            "languages": practitioner.languages,
            "faith_traditions": practitioner.faith_traditions,
            "sex": practitioner.sex,
            "regions": list(practitioner.regions.all()),
            "max_caseload": practitioner.max_caseload,
        }
        services.practitioner_update(actor=self.user, practitioner=practitioner, **profile | data)
        return self._detail(practitioner)

    @extend_schema(
        request=PractitionerStatusInputSerializer, responses={200: PractitionerDetailSerializer}
    )
    @action(detail=True, methods=["post"])
    def status(self, request: Request, practitioner_uuid: str) -> Response:
        """Move the practitioner through onboarding (approve, suspend, withdraw...)."""
        practitioner = self._practitioner()
        data = self.valid(PractitionerStatusInputSerializer)
        services.practitioner_change_status(actor=self.user, practitioner=practitioner, **data)
        return self._detail(practitioner)

    @extend_schema(request=VettingInputSerializer, responses={200: PractitionerDetailSerializer})
    @action(detail=True, methods=["post"])
    def vetting(self, request: Request, practitioner_uuid: str) -> Response:
        """Record the practitioner's vetting (a renewal replaces the previous one)."""
        practitioner = self._practitioner()
        data = self.valid(VettingInputSerializer)
        services.practitioner_record_vetting(actor=self.user, practitioner=practitioner, **data)
        return self._detail(practitioner)

    @extend_schema(request=TrainingInputSerializer, responses={200: PractitionerDetailSerializer})
    @action(detail=True, methods=["post"])
    def training(self, request: Request, practitioner_uuid: str) -> Response:
        """Record a completed training course."""
        practitioner = self._practitioner()
        data = self.valid(TrainingInputSerializer)
        services.training_record_completion(actor=self.user, practitioner=practitioner, **data)
        return self._detail(practitioner)

    @extend_schema(responses={200: PractitionerDetailSerializer})
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def me(self, request: Request) -> Response:
        """A practitioner's own record: status, vetting, training and what stops them working."""
        practitioner = self.get_queryset().filter(user=self.user).first()
        if practitioner is None:
            raise NotFound()
        return self._detail(practitioner)


class ContractViewSet(GatedViewSet[Contract]):
    """Provider contracts: period, regions and how many participants at once."""

    access_policy = {"GET": PROGRAMME_TEAM, "POST": PROGRAMME_TEAM}
    serializer_class = ContractSerializer
    filterset_class = ContractFilter
    lookup_url_kwarg = "contract_uuid"
    queryset = Contract.objects.none()

    def get_queryset(self) -> QuerySet[Contract]:
        return (
            Contract.objects.select_related("organisation")
            .prefetch_related("regions")
            .order_by("-start_date", "reference")
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), ContractSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        contract = self.gated_object(self.get_queryset())
        return Response(self.get_serializer(contract).data)

    @extend_schema(request=ContractInputSerializer, responses={201: ContractSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.valid(ContractInputSerializer)
        contract = services.contract_create(actor=self.user, **data)
        fresh = self.get_queryset().get(pk=contract.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
