"""REST API for statistics releases (registered by desist/statistics/api.py).

Read only, for analysts and programme managers: the list of releases and one release with
its frozen tables. Counts only, after disclosure control: no participant is named or linked,
so no purpose header is asked for and nothing is audited as a view of a record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.constants import Role
from desist.api.views_common import GatedViewSet, roles_policy
from desist.statistics.models import StatisticsRelease

READERS = roles_policy(Role.ANALYST, Role.PROGRAMME_MANAGER)


class ReleaseTableSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    as_at = serializers.DateField()
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='One list per row, as the columns; counts as text ("12", "<10", "[c]").',
    )
    notes = serializers.ListField(child=serializers.CharField())
    chart = serializers.CharField()
    unpublished = serializers.BooleanField()


class ReleaseSummarySerializer(serializers.ModelSerializer[StatisticsRelease]):
    # Plain text, not a choice: the schema already has other enums called "status".
    status = serializers.CharField(read_only=True, help_text="building, failed, draft or published")

    class Meta:
        model = StatisticsRelease
        fields = [
            "uuid",
            "title",
            "as_at",
            "status",
            "progress",
            "tables_total",
            "checksum",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class ReleaseSerializer(ReleaseSummarySerializer):
    tables = ReleaseTableSerializer(many=True, read_only=True)

    class Meta(ReleaseSummarySerializer.Meta):
        fields = [*ReleaseSummarySerializer.Meta.fields, "tables"]
        read_only_fields = fields


class StatisticsReleaseViewSet(GatedViewSet[StatisticsRelease]):
    """Frozen statistics releases: their tables, definitions, notes and checksum."""

    access_policy = {"GET": READERS}
    http_method_names = ["get", "head", "options"]
    lookup_url_kwarg = "release_uuid"
    serializer_class = ReleaseSerializer

    def get_queryset(self) -> QuerySet[StatisticsRelease]:
        return StatisticsRelease.objects.all()

    @extend_schema(responses=ReleaseSummarySerializer(many=True))
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.paginated(self.get_queryset(), ReleaseSummarySerializer)

    @extend_schema(responses=ReleaseSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        release = self.gated_object(self.get_queryset())
        return Response(ReleaseSerializer(release).data)


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("statistics/releases", StatisticsReleaseViewSet, basename="statistics-releases")
