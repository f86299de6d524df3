"""REST API for programme statistics (registered on the /api/v1/ router).

Counts only, after disclosure control: no participant is named or linked, so no purpose
header is asked for and nothing is audited as a view of a record. A programme manager may ask
for the figures before disclosure control (`unpublished=true`): the response is then marked
"Not for publication" and the request is audited; anyone else gets a 400 naming the parameter
(and the refusal is audited too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.constants import Role
from desist.accounts.models import User
from desist.api.views_common import GatedViewSet, roles_policy
from desist.people.models import Participant
from desist.statistics import api_figures, api_releases, exports
from desist.statistics.constants import Breakdown
from desist.statistics.selectors import active_participants_table, may_see_unpublished
from desist.statistics.services import audit_unpublished_request

ANALYSTS = roles_policy(Role.ANALYST, Role.PROGRAMME_MANAGER)
UNPUBLISHED_REFUSED = (
    "Only programme managers can have figures before disclosure control; leave out "
    "unpublished, or set it to false, for the published figures."
)


class ActiveParticipantsQuerySerializer(serializers.Serializer[Any]):
    as_at = serializers.DateField(
        help_text="Figures correct as at this date (YYYY-MM-DD); later sessions are left out."
    )
    by = serializers.CharField(required=False, allow_blank=True, default="")
    unpublished = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Figures before disclosure control, marked 'Not for publication' "
        "(programme managers only; audited).",
    )

    def validate_as_at(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError("The date must be today or in the past.")
        return value

    def validate_by(self, value: str) -> str:
        if value and value not in Breakdown.values:
            raise serializers.ValidationError(f"Must be one of: {', '.join(Breakdown.values)}.")
        return value


class ActiveParticipantsSerializer(serializers.Serializer[Any]):
    title = serializers.CharField()
    unpublished = serializers.BooleanField(
        help_text="True when the figures are before disclosure control."
    )
    marking = serializers.CharField(
        help_text="'Not for publication: ...' for unpublished figures, otherwise blank."
    )
    as_at = serializers.DateField()
    figures_correct_as_at = serializers.CharField()
    by = serializers.CharField(help_text="The breakdown, or blank for totals only.")
    definition = serializers.CharField()
    duplicates = serializers.CharField(help_text="How records of the same person were treated.")
    disclosure = serializers.CharField(help_text="The disclosure control applied.")
    notes = serializers.ListField(child=serializers.CharField())
    columns = serializers.ListField(
        child=serializers.CharField(),
        help_text="financial_year, total, then one column per breakdown value.",
    )
    column_labels = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='One object per financial year, keyed by column; counts as text ("<10").',
    )


class ActiveParticipantsViewSet(GatedViewSet[Participant]):
    """Active participants per financial year, as at a date, after disclosure control."""

    access_policy = {"GET": ANALYSTS}
    http_method_names = ["get", "head", "options"]
    pagination_class = None
    # No records are read through this view; the schema generator asks for a model anyway.
    queryset = Participant.objects.none()
    serializer_class = ActiveParticipantsSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("as_at", dt.date, required=True),
            OpenApiParameter("by", str, enum=Breakdown.values, required=False),
            OpenApiParameter("unpublished", bool, required=False),
        ],
        responses=ActiveParticipantsSerializer,
    )
    def list(self, request: Request) -> Response:
        query = ActiveParticipantsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_at, by = query.validated_data["as_at"], query.validated_data["by"]
        unpublished = bool(query.validated_data["unpublished"])
        actor = request.user if isinstance(request.user, User) else None
        if unpublished and not may_see_unpublished(request.user):
            audit_unpublished_request(
                actor=actor, channel="api", as_at=as_at, by=by, format="json", table=None
            )
            return Response(
                {"unpublished": [UNPUBLISHED_REFUSED]}, status=status.HTTP_400_BAD_REQUEST
            )
        table = active_participants_table(as_at=as_at, by=by, unpublished=unpublished)
        if unpublished:
            audit_unpublished_request(
                actor=actor, channel="api", as_at=as_at, by=by, format="json", table=table
            )
        return Response(exports.to_dict(table))


def register(router: SimpleRouter) -> None:
    """Add the statistics viewsets to the /api/v1/ router."""
    router.register(
        "statistics/active-participants",
        ActiveParticipantsViewSet,
        basename="statistics-active-participants",
    )
    api_figures.register(router)
    api_releases.register(router)
