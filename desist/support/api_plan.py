"""REST API for the development plan (registered by desist/support/api.py): goals, with their
actions nested read-only, and goal actions.

Goals come through the access gate narrowed to those who may read support records
(`selectors_plan.goals_for`: not the police liaison); changes go through
desist.support.services_plan, which audits them and whose PermissionDenied is the same 404 as a
missing record. Reading one goal needs an X-Access-Purpose header, recorded in the audit trail;
a list writes one audit event naming the participants on the page.

Status codes are taken as plain strings on input (the services say which are allowed), so each
choice set appears in one place in the OpenAPI schema.
"""

from __future__ import annotations

import uuid
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.access import SUPPORT_WRITERS, get_participant_through
from desist.accounts.constants import Role
from desist.api.serializers_delivery import ParticipantRefSerializer
from desist.api.views_common import CASELOAD_POLICY, PURPOSE_PARAMETER, GatedViewSet, roles_policy
from desist.support import selectors_plan as selectors
from desist.support import services_plan as services
from desist.support.constants import ActionStatus, GoalStatus, Owner, Pathway, ServiceLink
from desist.support.models import Goal, GoalAction, Service

# Roles that can hold a relationship among SUPPORT_WRITERS; the services check the rest.
WRITERS = roles_policy(
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.PRACTITIONER,
)


# Serializers ---------------------------------------------------------------------------------


# Pathway and owner codes are described by their values alone, as the other support resources
# describe them, so each is one enum in the OpenAPI schema however many resources use it.
@extend_schema_field({"type": "string", "enum": list(Pathway.values)})
class PathwayField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Pathway.choices, **kwargs)


@extend_schema_field({"type": "string", "enum": list(Owner.values)})
class OwnerField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Owner.choices, **kwargs)


class PlanServiceRefSerializer(serializers.ModelSerializer[Service]):
    """A directory service as a plan action names it."""

    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Service
        fields = ["id", "code", "name"]
        read_only_fields = fields


class GoalActionSerializer(serializers.ModelSerializer[GoalAction]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    goal = serializers.UUIDField(source="goal.uuid", read_only=True)
    owner = OwnerField(read_only=True)
    service = PlanServiceRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField()
    review_due = serializers.SerializerMethodField()

    class Meta:
        model = GoalAction
        fields = [
            "id",
            "goal",
            "description",
            "owner",
            "service",
            "service_link",
            "due_on",
            "review_on",
            "status",
            "completed_on",
            "overdue",
            "review_due",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: GoalAction) -> bool:
        """Not done and past its due date."""
        return selectors.action_overdue(
            status=obj.status, due_on=obj.due_on, today=self.context["today"]
        )

    def get_review_due(self, obj: GoalAction) -> bool:
        """Still open and its review date is today or has passed."""
        return selectors.action_review_due(
            status=obj.status, review_on=obj.review_on, today=self.context["today"]
        )


class GoalSerializer(serializers.ModelSerializer[Goal]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    participant = ParticipantRefSerializer(read_only=True)
    pathway = PathwayField(read_only=True)
    created_by = serializers.CharField(source="created_by.display_name", read_only=True)
    review_due = serializers.SerializerMethodField()
    actions = GoalActionSerializer(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "participant",
            "pathway",
            "description",
            "status",
            "review_on",
            "review_due",
            "achieved_on",
            "celebration",
            "created_by",
            "created_at",
            "updated_at",
            "actions",
        ]
        read_only_fields = fields

    def get_review_due(self, obj: Goal) -> bool:
        """Still being worked on and its review date is today or has passed."""
        return selectors.review_due(
            status=obj.status, review_on=obj.review_on, today=self.context["today"]
        )


def _status_field(codes: list[str], note: str = "", **kwargs: Any) -> serializers.CharField:
    text = "One of: " + ", ".join(codes) + "." + (f" {note}" if note else "")
    return serializers.CharField(help_text=text, **kwargs)


class GoalCreateInputSerializer(serializers.Serializer[Any]):
    participant = serializers.UUIDField()
    pathway = PathwayField()
    description = serializers.CharField(allow_blank=True)
    review_on = serializers.DateField(required=False, allow_null=True, default=None)
    status = _status_field(
        [GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS],
        required=False,
        default=GoalStatus.NOT_STARTED,
    )


class GoalUpdateInputSerializer(serializers.Serializer[Any]):
    pathway = PathwayField()
    description = serializers.CharField(allow_blank=True)
    status = _status_field(
        GoalStatus.values, note='"achieved" needs achieved_on, and may have a celebration.'
    )
    review_on = serializers.DateField(allow_null=True)
    achieved_on = serializers.DateField(allow_null=True, help_text="For an achieved goal.")
    celebration = serializers.CharField(
        allow_blank=True, help_text="What to celebrate about an achieved goal."
    )


class GoalActionCreateInputSerializer(serializers.Serializer[Any]):
    goal = serializers.UUIDField()
    description = serializers.CharField(allow_blank=True)
    owner = OwnerField()
    service = serializers.UUIDField(
        required=False, allow_null=True, default=None, help_text="A service in the directory."
    )
    service_link = serializers.ChoiceField(
        choices=ServiceLink.choices, required=False, allow_blank=True, default=""
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    review_on = serializers.DateField(required=False, allow_null=True, default=None)


class GoalActionUpdateInputSerializer(serializers.Serializer[Any]):
    description = serializers.CharField(allow_blank=True)
    owner = OwnerField()
    service = serializers.UUIDField(allow_null=True, help_text="A service in the directory.")
    service_link = serializers.ChoiceField(choices=ServiceLink.choices, allow_blank=True)
    due_on = serializers.DateField(allow_null=True)
    review_on = serializers.DateField(allow_null=True)
    status = _status_field(ActionStatus.values)
    completed_on = serializers.DateField(
        allow_null=True, help_text="For a done action; today when left out."
    )


class GoalFilter(django_filters.FilterSet):
    # Only codes and uuids in the query string.
    participant = django_filters.UUIDFilter(field_name="participant__uuid", label="Participant id")
    pathway = django_filters.ChoiceFilter(choices=Pathway.choices)
    status = django_filters.ChoiceFilter(choices=GoalStatus.choices)

    class Meta:
        model = Goal
        fields = ["participant", "pathway", "status"]


# Views -------------------------------------------------------------------------------------


def _service_from(key: uuid.UUID | None) -> Service | None:
    if key is None:
        return None
    service = Service.objects.filter(uuid=key).first()
    if service is None:
        raise ValidationError({"service": "No service in the directory has this id"})
    return service


class GoalViewSet(GatedViewSet[Goal]):
    """Development-plan goals of participants whose support records the caller may read, with
    their actions. The supervising organisation, the programme team and the allocated
    practitioner add and change them."""

    access_policy = {"GET": CASELOAD_POLICY, "POST": WRITERS, "PATCH": WRITERS}
    serializer_class = GoalSerializer
    filterset_class = GoalFilter
    lookup_url_kwarg = "goal_uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = Goal.objects.none()

    def get_queryset(self) -> QuerySet[Goal]:
        return selectors.goals_for(self.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _detail(self, goal: Goal, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=goal.pk)
        data = GoalSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), GoalSerializer, audit="api:goals")

    @extend_schema(parameters=[PURPOSE_PARAMETER])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        goal = self.gated_object(self.get_queryset())
        self.record_view(goal.participant)
        return Response(GoalSerializer(goal, context=self.get_serializer_context()).data)

    @extend_schema(request=GoalCreateInputSerializer, responses={201: GoalSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a goal to a participant's development plan."""
        data = self.valid(GoalCreateInputSerializer)
        participant = get_participant_through(self.user, data.pop("participant"), SUPPORT_WRITERS)
        goal = services.goal_create(actor=self.user, participant=participant, **data)
        return self._detail(goal, created=True)

    @extend_schema(request=GoalUpdateInputSerializer, responses={200: GoalSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a goal. To mark it achieved, send status "achieved" with achieved_on (and a
        celebration if you like); what is not sent stays as it is."""
        goal = self.gated_object(self.get_queryset())
        data = self.valid(GoalUpdateInputSerializer, partial=True)
        services.goal_update(
            actor=self.user,
            goal=goal,
            pathway=data.get("pathway", goal.pathway),
            description=data.get("description", goal.description),
            status=data.get("status", goal.status),
            review_on=data.get("review_on", goal.review_on),
            achieved_on=data.get("achieved_on", services.KEEP),
            celebration=data.get("celebration"),
        )
        return self._detail(goal)


class GoalActionViewSet(GatedViewSet[GoalAction]):
    """Actions towards a goal. Read them through their goal (`goals/`)."""

    access_policy = {"POST": WRITERS, "PATCH": WRITERS}
    serializer_class = GoalActionSerializer
    lookup_url_kwarg = "action_uuid"
    http_method_names = ["post", "patch", "options"]
    queryset = GoalAction.objects.none()

    def get_queryset(self) -> QuerySet[GoalAction]:
        return selectors.actions_for(self.user)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    def _detail(self, action: GoalAction, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=action.pk)
        data = GoalActionSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=GoalActionCreateInputSerializer, responses={201: GoalActionSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add an action towards a goal, optionally signposting or referring to a service."""
        data = self.valid(GoalActionCreateInputSerializer)
        goal = selectors.goals_for(self.user).filter(uuid=data.pop("goal")).first()
        if goal is None:
            raise exceptions.NotFound()
        data["service"] = _service_from(data.get("service"))
        action = services.action_create(actor=self.user, goal=goal, **data)
        return self._detail(action, created=True)

    @extend_schema(request=GoalActionUpdateInputSerializer, responses={200: GoalActionSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change an action; status "done" records the day it was completed (today unless
        completed_on is sent). What is not sent stays as it is."""
        action = self.gated_object(self.get_queryset())
        data = self.valid(GoalActionUpdateInputSerializer, partial=True)
        service = _service_from(data["service"]) if "service" in data else action.service
        services.action_update(
            actor=self.user,
            action=action,
            description=data.get("description", action.description),
            owner=data.get("owner", action.owner),
            service=service,
            service_link=data.get("service_link", action.service_link),
            due_on=data.get("due_on", action.due_on),
            review_on=data.get("review_on", action.review_on),
            status=data.get("status", action.status),
            completed_on=data.get("completed_on"),
        )
        return self._detail(action)


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("goals", GoalViewSet, basename="goal")
    router.register("goal-actions", GoalActionViewSet, basename="goal-action")
