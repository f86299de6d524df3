"""API for the intervention itself: plans, sessions, concerns, compliance records and end
reports. Records come through the access gate (desist.delivery.selectors); changes through
desist.delivery.services, whose PermissionDenied is the same 404 as a missing record."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from desist.accounts.access import get_participant_for
from desist.accounts.constants import Role
from desist.api.filters_delivery import (
    ComplianceRecordFilter,
    ConcernFilter,
    EndReportFilter,
    PlanFilter,
    SessionFilter,
)
from desist.api.serializers_delivery import (
    ComplianceDecisionInputSerializer,
    ComplianceRecordSerializer,
    ConcernRaiseInputSerializer,
    ConcernSerializer,
    EndReportInputSerializer,
    EndReportSerializer,
    NoteInputSerializer,
    OutcomeInputSerializer,
    PlanProposeInputSerializer,
    PlanSerializer,
    RescheduleInputSerializer,
    SessionDetailSerializer,
    SessionScheduleInputSerializer,
    SessionSerializer,
)
from desist.api.views_common import CASELOAD_POLICY, PURPOSE_PARAMETER, GatedViewSet, roles_policy
from desist.delivery import selectors, services
from desist.delivery.models import ComplianceRecord, Concern, EndReport, InterventionPlan, Session
from desist.referrals.selectors import allocation_for

PRACTITIONER = roles_policy(Role.PRACTITIONER)
# The supervising organisation and the programme team: approve plans, decide on compliance.
DECIDERS = roles_policy(
    Role.PROGRAMME_MANAGER, Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER
)
CONCERN_RAISERS = roles_policy(
    Role.PRACTITIONER,
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
)
ACKNOWLEDGERS = roles_policy(
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.POLICE_LIAISON,
)


def _created(data: Any) -> Response:
    return Response(data, status=status.HTTP_201_CREATED)


class PlanViewSet(GatedViewSet[InterventionPlan]):
    """Every version of the intervention plans of participants the caller may see. The
    allocated practitioner proposes; the supervising organisation approves or returns."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": PRACTITIONER}
    action_policies = {"approve": DECIDERS, "return_plan": DECIDERS}
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    lookup_url_kwarg = "plan_uuid"
    queryset = InterventionPlan.objects.none()

    def get_queryset(self) -> QuerySet[InterventionPlan]:
        # As the plan pages show them: to anyone the gate shows the participant to.
        return selectors.plans_for(self.user).order_by("-proposed_at", "-id")

    def _plan(self) -> InterventionPlan:
        return self.gated_object(self.get_queryset())

    def _detail(self, plan: InterventionPlan, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=plan.pk)
        data = PlanSerializer(fresh, context=self.get_serializer_context()).data
        return _created(data) if created else Response(data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), PlanSerializer, audit="api:plans")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self._plan()
        self.record_view(plan.participant)
        return Response(PlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(request=PlanProposeInputSerializer, responses={201: PlanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Propose a new version of the plan (the allocated practitioner)."""
        data = self.valid(PlanProposeInputSerializer)
        allocation = allocation_for(self.user, data.pop("allocation"))
        plan = services.plan_propose(actor=self.user, allocation=allocation, **data)
        return self._detail(plan, created=True)

    @extend_schema(request=NoteInputSerializer, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, plan_uuid: str) -> Response:
        """Approve the proposed version; the one approved before it is superseded."""
        plan = self._plan()
        data = self.valid(NoteInputSerializer)
        services.plan_approve(actor=self.user, plan=plan, **data)
        return self._detail(plan)

    @extend_schema(request=NoteInputSerializer, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_plan(self, request: Request, plan_uuid: str) -> Response:
        """Send the proposed version back, saying what needs to change."""
        plan = self._plan()
        data = self.valid(NoteInputSerializer)
        services.plan_return(actor=self.user, plan=plan, **data)
        return self._detail(plan)


class SessionViewSet(GatedViewSet[Session]):
    """Sessions of participants the caller may see (a practitioner: of their own allocations).
    Notes are only on a single session, for those who may read them."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": PRACTITIONER}
    serializer_class = SessionSerializer
    filterset_class = SessionFilter
    lookup_url_kwarg = "session_uuid"
    queryset = Session.objects.none()

    def get_queryset(self) -> QuerySet[Session]:
        return (
            selectors.sessions_for(self.user)
            .select_related("allocation", "rescheduled_from")
            .order_by("scheduled_start", "id")
        )

    def get_serializer_class(self) -> Any:
        return SessionSerializer if self.action == "list" else SessionDetailSerializer

    def _session(self) -> Session:
        return self.gated_object(self.get_queryset())

    def _detail(self, session: Session, *, created: bool = False) -> Response:
        fresh = (
            self.get_queryset()
            .select_related("outcome_recorded_by")
            .prefetch_related("progress__objective")
            .get(pk=session.pk)
        )
        context = {
            **self.get_serializer_context(),
            "notes_visible": selectors.session_notes_visible(self.user, fresh),
        }
        data = SessionDetailSerializer(fresh, context=context).data
        return _created(data) if created else Response(data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), SessionSerializer, audit="api:sessions")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self._session()
        self.record_view(session.participant)
        return self._detail(session)

    @extend_schema(request=SessionScheduleInputSerializer, responses={201: SessionDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Book a session (the allocated practitioner)."""
        data = self.valid(SessionScheduleInputSerializer)
        allocation = allocation_for(self.user, data.pop("allocation"))
        session = services.session_schedule(actor=self.user, allocation=allocation, **data)
        return self._detail(session, created=True)

    @extend_schema(request=OutcomeInputSerializer, responses={200: SessionDetailSerializer})
    @action(detail=True, methods=["post"])
    def outcome(self, request: Request, session_uuid: str) -> Response:
        """Record (or, within the correction window, correct) what happened at the session."""
        session = self._session()
        data = self.valid(OutcomeInputSerializer)
        progress = {row["objective"]: (row["rating"], row["note"]) for row in data.pop("progress")}
        services.session_record_outcome(actor=self.user, session=session, progress=progress, **data)
        return self._detail(session)

    @extend_schema(request=RescheduleInputSerializer, responses={201: SessionDetailSerializer})
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, session_uuid: str) -> Response:
        """Move a session that has not happened; the new one points back to this one."""
        session = self._session()
        data = self.valid(RescheduleInputSerializer)
        new = services.session_reschedule(actor=self.user, session=session, **data)
        return self._detail(new, created=True)


class ConcernViewSet(GatedViewSet[Concern]):
    """Concerns about participants the caller may see (a practitioner: the ones they raised)."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": CONCERN_RAISERS}
    action_policies = {"acknowledge": ACKNOWLEDGERS}
    serializer_class = ConcernSerializer
    filterset_class = ConcernFilter
    lookup_url_kwarg = "concern_uuid"
    queryset = Concern.objects.none()

    def get_queryset(self) -> QuerySet[Concern]:
        return selectors.concerns_for(self.user).order_by("-raised_at", "-id")

    def _concern(self) -> Concern:
        return self.gated_object(self.get_queryset())

    def _detail(self, concern: Concern, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=concern.pk)
        data = ConcernSerializer(fresh, context=self.get_serializer_context()).data
        return _created(data) if created else Response(data)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), ConcernSerializer, audit="api:concerns")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        concern = self._concern()
        self.record_view(concern.participant)
        return Response(ConcernSerializer(concern, context=self.get_serializer_context()).data)

    @extend_schema(request=ConcernRaiseInputSerializer, responses={201: ConcernSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Raise a concern. An urgent one reaches the supervising officer and police liaison at
        once and must be acknowledged in time."""
        data = self.valid(ConcernRaiseInputSerializer)
        participant = get_participant_for(self.user, data.pop("participant"))
        concern = services.concern_raise(actor=self.user, participant=participant, **data)
        return self._detail(concern, created=True)

    @extend_schema(request=NoteInputSerializer, responses={200: ConcernSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, concern_uuid: str) -> Response:
        concern = self._concern()
        data = self.valid(NoteInputSerializer)
        services.concern_acknowledge(actor=self.user, concern=concern, **data)
        return self._detail(concern)


class ComplianceRecordViewSet(GatedViewSet[ComplianceRecord]):
    """Compliance records (opened by an unacceptable absence where attendance is mandatory)
    of participants the caller may see; the supervising organisation records the decision."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": DECIDERS}
    serializer_class = ComplianceRecordSerializer
    filterset_class = ComplianceRecordFilter
    lookup_url_kwarg = "record_uuid"
    queryset = ComplianceRecord.objects.none()

    def get_queryset(self) -> QuerySet[ComplianceRecord]:
        return selectors.compliance_records_for(self.user).order_by("-opened_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), ComplianceRecordSerializer, audit="api:compliance-records"
        )

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.gated_object(self.get_queryset())
        self.record_view(record.participant)
        return Response(ComplianceRecordSerializer(record).data)

    @extend_schema(
        request=ComplianceDecisionInputSerializer, responses={200: ComplianceRecordSerializer}
    )
    @action(detail=True, methods=["post"])
    def decision(self, request: Request, record_uuid: str) -> Response:
        """Record the decision on the absence (no action, warning, breach action) and why."""
        record = self.gated_object(self.get_queryset())
        data = self.valid(ComplianceDecisionInputSerializer)
        services.compliance_decide(actor=self.user, record=record, **data)
        return Response(ComplianceRecordSerializer(self.get_queryset().get(pk=record.pk)).data)


class EndReportViewSet(GatedViewSet[EndReport]):
    """End-of-intervention reports of participants the caller may see."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": PRACTITIONER}
    serializer_class = EndReportSerializer
    filterset_class = EndReportFilter
    lookup_url_kwarg = "report_uuid"
    queryset = EndReport.objects.none()

    def get_queryset(self) -> QuerySet[EndReport]:
        # As the report pages show them: to anyone the gate shows the participant to.
        return selectors.end_reports_for(self.user).order_by("-submitted_at", "-id")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), EndReportSerializer, audit="api:end-reports")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.gated_object(self.get_queryset())
        self.record_view(report.participant)
        return Response(EndReportSerializer(report).data)

    @extend_schema(request=EndReportInputSerializer, responses={201: EndReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Submit the end-of-intervention report (the allocated practitioner). It ends the
        allocation, so the practitioner no longer sees the participant afterwards: the answer
        is the report as submitted."""
        data = self.valid(EndReportInputSerializer)
        allocation = allocation_for(self.user, data.pop("allocation"))
        achievements = {
            row["objective"]: (row["achievement"], row["note"]) for row in data.pop("achievements")
        }
        report = services.end_report_submit(
            actor=self.user, allocation=allocation, achievements=achievements, **data
        )
        return _created(EndReportSerializer(report).data)
