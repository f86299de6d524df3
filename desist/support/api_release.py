"""REST API for release planning (registered by desist/support/api.py).

- /api/v1/release-plans/: plans of participants the caller may see (every relationship reads
  them), with their checklist, appointments and contacts; create and PATCH for the
  supervising organisation and the programme team;
- /api/v1/release-plans/{id}/checklist/{item}/ (PATCH): one checklist entry, named by its
  item code;
- /api/v1/release-plans/{id}/appointments/ (POST): an appointment after release;
- /api/v1/release-plans/{id}/handover/ (POST): hand supervision to the community officer;
- /api/v1/release-plans/{id}/passport/ (GET): the exit passport as JSON, the same content as
  the page and the PDF (desist.support.passport.passport_for).

Reading one plan or a passport needs an X-Access-Purpose header and is audited; lists write
one list event. Writes go through desist.support.services_release, whose PermissionDenied is
the same 404 as a missing record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.access import RELEASE_WRITERS, get_participant_through
from desist.accounts.constants import Role
from desist.accounts.models import Organisation, Region, User
from desist.api.serializers_delivery import OrganisationRefSerializer, ParticipantRefSerializer
from desist.api.views_common import (
    CASELOAD_POLICY,
    PURPOSE_PARAMETER,
    GatedViewSet,
    roles_policy,
)
from desist.support import selectors_release as selectors
from desist.support import services_release as services
from desist.support.constants import ChecklistItem, ChecklistStatus, Owner
from desist.support.models import (
    Appointment,
    PassportContact,
    ReleaseChecklistEntry,
    ReleasePlan,
    Service,
)
from desist.support.passport import passport_for

# The supervising side and the programme team; the services check the relationship too.
WRITERS = roles_policy(
    Role.PROGRAMME_MANAGER, Role.SUPERVISING_OFFICER, Role.PRISON_OFFENDER_MANAGER
)


# Owner codes by their values alone, as the development plan's API describes them, so both
# share one OwnerEnum in the schema (the blank "nobody yet" is left out of the enum's name).
@extend_schema_field({"type": "string", "enum": ["", *Owner.values]})
class OwnerField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("", "Nobody yet"), *Owner.choices], **kwargs)


class ChecklistItemField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ChecklistItem.choices, **kwargs)


# Output ------------------------------------------------------------------------------------


class ChecklistEntrySerializer(serializers.ModelSerializer[ReleaseChecklistEntry]):
    item = ChecklistItemField(read_only=True)
    item_label = serializers.CharField(source="get_item_display", read_only=True)
    owner = OwnerField(read_only=True)
    status = serializers.ChoiceField(choices=ChecklistStatus.choices, read_only=True)
    updated_by = serializers.CharField(
        source="updated_by.display_name", read_only=True, allow_null=True
    )

    class Meta:
        model = ReleaseChecklistEntry
        fields = [
            "item",
            "item_label",
            "owner",
            "status",
            "due_on",
            "note",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer[Appointment]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    service = serializers.UUIDField(source="service.uuid", read_only=True, allow_null=True)

    class Meta:
        model = Appointment
        fields = ["id", "starts_at", "with_whom", "place", "purpose", "service"]
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer[PassportContact]):
    class Meta:
        model = PassportContact
        fields = ["name", "role", "phone", "email", "address"]
        read_only_fields = fields


class ReleasePlanSerializer(serializers.ModelSerializer[ReleasePlan]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    custody_establishment = serializers.CharField(
        source="participant.custody_establishment", read_only=True
    )
    expected_release_date = serializers.DateField(
        source="participant.expected_release_date", read_only=True, allow_null=True
    )
    release_region: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    community_organisation = OrganisationRefSerializer(read_only=True, allow_null=True)
    community_officer = serializers.IntegerField(
        source="community_officer_id", read_only=True, allow_null=True
    )
    community_officer_name = serializers.CharField(
        source="community_officer.display_name", read_only=True, allow_null=True
    )
    handed_over_by = serializers.CharField(
        source="handed_over_by.display_name", read_only=True, allow_null=True
    )
    checklist = ChecklistEntrySerializer(many=True, read_only=True)
    appointments = AppointmentSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta:
        model = ReleasePlan
        fields = [
            "id",
            "participant",
            "custody_establishment",
            "expected_release_date",
            "release_address_area",
            "release_region",
            "community_organisation",
            "community_officer",
            "community_officer_name",
            "handed_over_at",
            "handed_over_by",
            "conditions_plain",
            "checklist",
            "appointments",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PassportContactSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    role = serializers.CharField()
    organisation = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    address = serializers.CharField()


class PassportAppointmentSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    with_whom = serializers.CharField()
    place = serializers.CharField()
    purpose = serializers.CharField()


class SignpostedServiceSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    description = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    website = serializers.CharField()
    address = serializers.CharField()
    opening_hours = serializers.CharField()


class NeedServicesSerializer(serializers.Serializer[Any]):
    pathway = serializers.CharField()
    services = SignpostedServiceSerializer(many=True)


class ChecklistLineSerializer(serializers.Serializer[Any]):
    item = serializers.CharField()
    status = serializers.ChoiceField(choices=ChecklistStatus.choices)
    status_label = serializers.CharField()
    owner = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()


class PassportSerializer(serializers.Serializer[Any]):
    """The exit passport: only what is safe for the participant to hold."""

    given_name = serializers.CharField()
    family_name = serializers.CharField()
    release_date = serializers.DateField(allow_null=True)
    release_area = serializers.CharField()
    prepared_on = serializers.DateField()
    contacts = PassportContactSerializer(many=True)
    appointments = PassportAppointmentSerializer(many=True)
    appointments_from = serializers.DateField()
    appointments_until = serializers.DateField()
    conditions = serializers.ListField(child=serializers.CharField())
    needs = NeedServicesSerializer(many=True)
    checklist = ChecklistLineSerializer(many=True)


# Input -------------------------------------------------------------------------------------


def _text(max_length: int = 10_000) -> serializers.CharField:
    # Blank text reaches the service, whose plain-English message names the field.
    return serializers.CharField(allow_blank=True, required=False, max_length=max_length)


class ReleasePlanChangeInputSerializer(serializers.Serializer[Any]):
    expected_release_date = serializers.DateField(required=False, allow_null=True)
    release_address_area = _text(200)
    release_region = serializers.SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), required=False, allow_null=True
    )
    community_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    community_officer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    conditions_plain = _text()


class ReleasePlanCreateInputSerializer(ReleasePlanChangeInputSerializer):
    participant = serializers.UUIDField()


class ChecklistEntryInputSerializer(serializers.Serializer[Any]):
    owner = OwnerField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=ChecklistStatus.choices, required=False)
    due_on = serializers.DateField(required=False, allow_null=True)
    note = _text(300)


class AppointmentInputSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    with_whom = _text(200)
    place = _text(300)
    purpose = _text(300)
    service = serializers.SlugRelatedField(
        slug_field="uuid",
        queryset=Service.objects.filter(active=True),
        required=False,
        allow_null=True,
    )


# Views -------------------------------------------------------------------------------------


class ReleasePlanViewSet(GatedViewSet[ReleasePlan]):
    """Release plans of participants the caller may see. The supervising organisation and the
    programme team start and change them; everyone who may see the participant reads them."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": WRITERS, "PATCH": WRITERS}
    action_policies = {
        "checklist": WRITERS,
        "appointments": WRITERS,
        "handover": WRITERS,
        "passport": CASELOAD_POLICY,
    }
    serializer_class = ReleasePlanSerializer
    lookup_url_kwarg = "release_plan_uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = ReleasePlan.objects.none()

    def get_queryset(self) -> QuerySet[ReleasePlan]:
        return selectors.release_plans_for(self.user)

    def _plan(self) -> ReleasePlan:
        return self.gated_object(self.get_queryset())

    def _detail(self, plan: ReleasePlan, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=plan.pk)
        data = ReleasePlanSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=201 if created else 200)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), ReleasePlanSerializer, audit="api:release-plans")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        plan = self._plan()
        self.record_view(plan.participant)
        return Response(ReleasePlanSerializer(plan, context=self.get_serializer_context()).data)

    @extend_schema(request=ReleasePlanCreateInputSerializer, responses={201: ReleasePlanSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Start release planning for someone in custody; the checklist comes with it. The
        release date, when given, is set on the participant's record."""
        data = self.valid(ReleasePlanCreateInputSerializer)
        participant = get_participant_through(self.user, data.pop("participant"), RELEASE_WRITERS)
        data.setdefault("expected_release_date", participant.expected_release_date)
        plan = services.release_plan_create(actor=self.user, participant=participant, **data)
        return self._detail(plan, created=True)

    @extend_schema(request=ReleasePlanChangeInputSerializer, responses={200: ReleasePlanSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change the plan; fields not sent stay as they are."""
        plan = self._plan()
        data = self.valid(ReleasePlanChangeInputSerializer, partial=True)
        services.release_plan_update(actor=self.user, plan=plan, data=data)
        return self._detail(plan)

    @extend_schema(request=ChecklistEntryInputSerializer, responses={200: ReleasePlanSerializer})
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"checklist/(?P<item>[a-z_]+)",
        url_name="checklist",
    )
    def checklist(self, request: Request, release_plan_uuid: str, item: str) -> Response:
        """Change one checklist entry (owner, status, due date, note for the participant)."""
        plan = self._plan()
        entry = selectors.checklist_entry_of(plan, item) if item in ChecklistItem.values else None
        if entry is None:
            raise NotFound()
        data = self.valid(ChecklistEntryInputSerializer, partial=True)
        services.release_checklist_update(actor=self.user, entry=entry, data=data)
        return self._detail(plan)

    @extend_schema(request=AppointmentInputSerializer, responses={201: ReleasePlanSerializer})
    @action(detail=True, methods=["post"])
    def appointments(self, request: Request, release_plan_uuid: str) -> Response:
        """Add an appointment after release (shown in the exit passport)."""
        plan = self._plan()
        data = self.valid(AppointmentInputSerializer)
        services.release_appointment_create(actor=self.user, plan=plan, **data)
        return self._detail(plan, created=True)

    @extend_schema(request=None, responses={200: ReleasePlanSerializer})
    @action(detail=True, methods=["post"])
    def handover(self, request: Request, release_plan_uuid: str) -> Response:
        """Hand supervision over to the plan's community organisation and officer."""
        plan = self._plan()
        services.release_plan_handover(actor=self.user, plan=plan)
        return self._detail(plan)

    @extend_schema(parameters=[PURPOSE_PARAMETER], responses={200: PassportSerializer})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def passport(self, request: Request, release_plan_uuid: str) -> Response:
        """The exit passport as JSON: the same content as the page and the PDF."""
        plan = self._plan()
        purpose = self.access_purpose()
        services.release_record_view(
            actor=self.user,
            participant=plan.participant,
            purpose=purpose,
            document="exit_passport_api",
        )
        return Response(PassportSerializer(passport_for(plan.participant)).data)


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("release-plans", ReleasePlanViewSet, basename="release-plan")
