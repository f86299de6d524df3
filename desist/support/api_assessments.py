"""REST API for needs and strengths assessments, progress measure responses and the
instruments they are made with (registered by desist/support/api.py).

- /api/v1/assessments/ and /api/v1/measure-responses/: list, retrieve, create. Rows come from
  the gate narrowed to support relationships (`support_participants_for`: not the police
  liaison); reading one needs the X-Access-Purpose header and is audited, a list is audited
  as one list event; creating goes through the services, whose errors name the pathway and
  question or the item (e.g. `"accommodation.answers.settled"`, `"scores.anxiety"`).
- /api/v1/instruments/: list and retrieve the questionnaires and measures loaded, for anyone
  with a caseload role. They hold no personal data.

Choice fields are described inline in the schema (not as named enums), so they never clash
with another resource's "kind" or "pathway".
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.access import SUPPORT_WRITERS, get_participant_through
from desist.accounts.constants import Role
from desist.api.serializers_delivery import ParticipantRefSerializer
from desist.api.views_common import CASELOAD_POLICY, PURPOSE_PARAMETER, GatedViewSet, roles_policy
from desist.support import services_assessments
from desist.support.constants import InstrumentKind, NeedLevel, Pathway
from desist.support.models import Assessment, Instrument, MeasureResponse, PathwayAssessment
from desist.support.selectors_assessments import (
    active_instrument,
    assessments_for,
    measure_responses_for,
)

# Those who may record: the supervising organisation, the programme team and practitioners
# (the service then checks the relationship to the participant).
WRITERS = roles_policy(
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.PRACTITIONER,
)


# Fields ---------------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": list(Pathway.values)})
class PathwayCodeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": list(NeedLevel.values)})
class NeedLevelCodeField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "enum": list(InstrumentKind.values)})
class InstrumentKindCodeField(serializers.CharField):
    pass


def _user_name(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"{source}.display_name", read_only=True)


# Serializers ----------------------------------------------------------------------------------


class InstrumentRefSerializer(serializers.ModelSerializer[Instrument]):
    class Meta:
        model = Instrument
        fields = ["id", "key", "version", "title"]
        read_only_fields = fields


class InstrumentSerializer(serializers.ModelSerializer[Instrument]):
    kind = InstrumentKindCodeField(read_only=True)
    definition = serializers.JSONField(
        read_only=True, help_text="The whole definition, as validated against the schema."
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "kind",
            "key",
            "version",
            "title",
            "credit",
            "active",
            "loaded_at",
            "sha256",
            "definition",
        ]
        read_only_fields = fields


class PathwayAssessmentSerializer(serializers.ModelSerializer[PathwayAssessment]):
    pathway = PathwayCodeField(read_only=True)
    need_level = NeedLevelCodeField(read_only=True)
    answers = serializers.DictField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Answers by question key: 'yes'/'no', an option value, or text.",
    )

    class Meta:
        model = PathwayAssessment
        fields = ["pathway", "need_level", "strengths", "notes", "answers"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    instrument = InstrumentRefSerializer(read_only=True)
    pathways = PathwayAssessmentSerializer(many=True, read_only=True)
    recorded_by = _user_name("recorded_by")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "participant",
            "instrument",
            "assessed_on",
            "summary",
            "pathways",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class PathwayInputSerializer(serializers.Serializer[Any]):
    # Codes are checked by the service, whose message names the pathway.
    pathway = PathwayCodeField()
    need_level = NeedLevelCodeField()
    strengths = serializers.CharField(allow_blank=True, required=False, default="")
    notes = serializers.CharField(allow_blank=True, required=False, default="")
    answers = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Answers by question key, as the instrument defines them.",
    )


class AssessmentInputSerializer(serializers.Serializer[Any]):
    participant = serializers.UUIDField()
    instrument = serializers.CharField(help_text="The questionnaire's key.")
    version = serializers.IntegerField(
        required=False, help_text="Default: the version in use for new records."
    )
    assessed_on = serializers.DateField()
    summary = serializers.CharField(allow_blank=True, required=False, default="")
    pathways = PathwayInputSerializer(many=True)


class MeasureResponseSerializer(serializers.ModelSerializer[MeasureResponse]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    instrument = InstrumentRefSerializer(read_only=True)
    scores = serializers.DictField(
        child=serializers.IntegerField(), read_only=True, help_text="Scores by item key."
    )
    recorded_by = _user_name("recorded_by")

    class Meta:
        model = MeasureResponse
        fields = [
            "id",
            "participant",
            "instrument",
            "completed_on",
            "scores",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class MeasureResponseInputSerializer(serializers.Serializer[Any]):
    participant = serializers.UUIDField()
    instrument = serializers.CharField(help_text="The measure's key, e.g. ons4.")
    version = serializers.IntegerField(
        required=False, help_text="Default: the version in use for new records."
    )
    completed_on = serializers.DateField()
    scores = serializers.DictField(
        child=serializers.JSONField(), help_text="A whole number for each item, by item key."
    )


# Filters --------------------------------------------------------------------------------------


class AssessmentFilter(django_filters.FilterSet):
    participant = django_filters.UUIDFilter(field_name="participant__uuid", label="Participant id")
    instrument = django_filters.CharFilter(field_name="instrument__key", label="Instrument key")
    assessed_from = django_filters.DateFilter(field_name="assessed_on", lookup_expr="gte")
    assessed_to = django_filters.DateFilter(field_name="assessed_on", lookup_expr="lte")

    class Meta:
        model = Assessment
        fields = ["participant", "instrument", "assessed_from", "assessed_to"]


class MeasureResponseFilter(django_filters.FilterSet):
    participant = django_filters.UUIDFilter(field_name="participant__uuid", label="Participant id")
    instrument = django_filters.CharFilter(field_name="instrument__key", label="Instrument key")
    completed_from = django_filters.DateFilter(field_name="completed_on", lookup_expr="gte")
    completed_to = django_filters.DateFilter(field_name="completed_on", lookup_expr="lte")

    class Meta:
        model = MeasureResponse
        fields = ["participant", "instrument", "completed_from", "completed_to"]


class InstrumentFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=InstrumentKind.choices)
    key = django_filters.CharFilter()
    active = django_filters.BooleanFilter()

    class Meta:
        model = Instrument
        fields = ["kind", "key", "active"]


# Views ----------------------------------------------------------------------------------------


def _instrument(kind: str, key: str, version: int | None) -> Instrument:
    """The instrument a new record names: that version, or the one in use for the key."""
    if version is not None:
        found = Instrument.objects.filter(kind=kind, key=key, version=version).first()
    else:
        found = active_instrument(kind, key)
    if found is None:
        what = "questionnaire" if kind == InstrumentKind.NEEDS_ASSESSMENT else "measure"
        named = f"{key!r}" + (f" version {version}" if version is not None else "")
        raise ValidationError({"instrument": f"There is no {what} {named} in use."})
    return found


class AssessmentViewSet(GatedViewSet[Assessment]):
    """Needs and strengths assessments of participants whose support records the caller may
    read; the allocated practitioner, the supervising organisation or the programme team
    records them."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": WRITERS}
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    lookup_url_kwarg = "assessment_uuid"
    queryset = Assessment.objects.none()

    def get_queryset(self) -> QuerySet[Assessment]:
        return assessments_for(self.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), AssessmentSerializer, audit="api:assessments")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.gated_object(self.get_queryset())
        self.record_view(assessment.participant)
        return Response(AssessmentSerializer(assessment).data)

    @extend_schema(request=AssessmentInputSerializer, responses={201: AssessmentSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record an assessment (or a reassessment): an entry for every pathway the
        questionnaire covers, with answers checked against it."""
        data = self.valid(AssessmentInputSerializer)
        participant = get_participant_through(self.user, data.pop("participant"), SUPPORT_WRITERS)
        instrument = _instrument(
            InstrumentKind.NEEDS_ASSESSMENT, data.pop("instrument"), data.pop("version", None)
        )
        assessment = services_assessments.assessment_record(
            actor=self.user, participant=participant, instrument=instrument, **data
        )
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(AssessmentSerializer(fresh).data, status=status.HTTP_201_CREATED)


class MeasureResponseViewSet(GatedViewSet[MeasureResponse]):
    """Completions of progress measures (such as the ONS personal well-being questions) by
    participants whose support records the caller may read."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": WRITERS}
    serializer_class = MeasureResponseSerializer
    filterset_class = MeasureResponseFilter
    lookup_url_kwarg = "measure_response_uuid"
    queryset = MeasureResponse.objects.none()

    def get_queryset(self) -> QuerySet[MeasureResponse]:
        return measure_responses_for(self.user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(
            self.get_queryset(), MeasureResponseSerializer, audit="api:measure-responses"
        )

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = self.gated_object(self.get_queryset())
        self.record_view(response.participant)
        return Response(MeasureResponseSerializer(response).data)

    @extend_schema(
        request=MeasureResponseInputSerializer, responses={201: MeasureResponseSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record one completion of a measure; each score within its item's range."""
        data = self.valid(MeasureResponseInputSerializer)
        participant = get_participant_through(self.user, data.pop("participant"), SUPPORT_WRITERS)
        instrument = _instrument(
            InstrumentKind.MEASURE, data.pop("instrument"), data.pop("version", None)
        )
        response = services_assessments.measure_response_record(
            actor=self.user, participant=participant, instrument=instrument, **data
        )
        fresh = self.get_queryset().get(pk=response.pk)
        return Response(MeasureResponseSerializer(fresh).data, status=status.HTTP_201_CREATED)


class InstrumentViewSet(GatedViewSet[Instrument]):
    """The questionnaires and measures loaded, every version (`active`: offered for new
    records). Not about any participant."""

    access_policy = {"GET": CASELOAD_POLICY}
    serializer_class = InstrumentSerializer
    filterset_class = InstrumentFilter
    lookup_field = "pk"
    lookup_value_regex = "[0-9]+"
    queryset = Instrument.objects.none()

    def get_queryset(self) -> QuerySet[Instrument]:
        return Instrument.objects.order_by("key", "-version")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), InstrumentSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instrument = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if instrument is None:
            raise exceptions.NotFound()
        return Response(InstrumentSerializer(instrument).data)


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("assessments", AssessmentViewSet, basename="assessment")
    router.register("measure-responses", MeasureResponseViewSet, basename="measure-response")
    router.register("instruments", InstrumentViewSet, basename="instrument")
