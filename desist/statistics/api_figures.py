"""REST API for statistics figures (registered by desist/statistics/api.py).

GET /api/v1/statistics/figures/ lists every figure table, and
GET /api/v1/statistics/figures/<key>/ gives one, each as `PublishedTable.to_dict()`, as at the
`as_at` query parameter (default today). Counts only, after disclosure control: no participant
is named or linked, so no purpose header is asked for and nothing is audited as a view of a
record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.constants import Role
from desist.api.views_common import GatedViewSet, roles_policy
from desist.people.models import Participant
from desist.statistics.figures import FIGURES, all_figures, figure_table

ANALYSTS = roles_policy(Role.ANALYST, Role.PROGRAMME_MANAGER)
AS_AT = OpenApiParameter(
    "as_at",
    dt.date,
    required=False,
    description="Figures correct as at this date (YYYY-MM-DD, default today); "
    "later events are left out.",
)
KEY = OpenApiParameter(
    "key", str, OpenApiParameter.PATH, enum=list(FIGURES), description="Which figure."
)


class FiguresQuerySerializer(serializers.Serializer[Any]):
    as_at = serializers.DateField(required=False)

    def validate_as_at(self, value: dt.date) -> dt.date:
        if value > timezone.localdate():
            raise serializers.ValidationError("The date must be today or in the past.")
        return value


class FigureTableSerializer(serializers.Serializer[Any]):
    """The one shape of a published statistics table (desist/statistics/tables.py)."""

    key = serializers.CharField(help_text="The figure's key, unique within a release.")
    title = serializers.CharField()
    definition = serializers.CharField(help_text="What is counted, in plain English.")
    as_at = serializers.DateField(help_text="The date the figures are correct as at.")
    columns = serializers.ListField(
        child=serializers.CharField(), help_text="Column headings; the first names the rows."
    )
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='One list per row, as displayed after disclosure control ("<10", "[c]").',
    )
    notes = serializers.ListField(child=serializers.CharField())
    chart = serializers.CharField(help_text='"bar" or "line".')
    unpublished = serializers.BooleanField(
        help_text="True only for figures before disclosure control (never from this API)."
    )


class FiguresViewSet(GatedViewSet[Participant]):
    """Programme figures by financial year, after disclosure control."""

    access_policy = {"GET": ANALYSTS}
    http_method_names = ["get", "head", "options"]
    pagination_class = None
    lookup_field = "key"
    lookup_value_regex = "[a-z0-9-]+"
    # No records are read through this view; the schema generator asks for a model anyway.
    queryset = Participant.objects.none()
    serializer_class = FigureTableSerializer

    def _as_at(self, request: Request) -> dt.date:
        query = FiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_at: dt.date = query.validated_data.get("as_at") or timezone.localdate()
        return as_at

    @extend_schema(parameters=[AS_AT], responses=FigureTableSerializer(many=True))
    def list(self, request: Request) -> Response:
        tables = all_figures(as_at=self._as_at(request))
        return Response([table.to_dict() for table in tables])

    @extend_schema(parameters=[KEY, AS_AT], responses=FigureTableSerializer)
    def retrieve(self, request: Request, key: str) -> Response:
        if key not in FIGURES:
            raise exceptions.NotFound()
        return Response(figure_table(key, as_at=self._as_at(request)).to_dict())


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("statistics/figures", FiguresViewSet, basename="statistics-figures")
