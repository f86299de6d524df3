"""REST API for the service directory (registered by desist/support/api.py). Services hold no
personal data, so reading them is not audited as a view and needs no purpose; staff who work
with participants read them, programme managers add and change them through
desist.support.services_directory, which audits every change."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from desist.accounts.constants import Role
from desist.accounts.models import Region
from desist.api.views_common import GatedViewSet, roles_policy
from desist.support import services_directory as services
from desist.support.constants import EligibleSex, Pathway
from desist.support.models import Service
from desist.support.selectors_directory import DirectoryFilter, directory_search

STAFF = roles_policy(
    Role.PROGRAMME_MANAGER,
    Role.SUPERVISING_OFFICER,
    Role.PRISON_OFFENDER_MANAGER,
    Role.POLICE_LIAISON,
    Role.PRACTITIONER,
)
MANAGERS = roles_policy(Role.PROGRAMME_MANAGER)
_PATHWAYS_HELP = "Pathway codes: " + ", ".join(Pathway.values) + "."


def _pathways(**kwargs: Any) -> serializers.ListField:
    # Plain strings, not an enum: the "pathway" enum of other resources keeps its one name in
    # the OpenAPI schema. The service checks each code.
    return serializers.ListField(child=serializers.CharField(), help_text=_PATHWAYS_HELP, **kwargs)


class DirectoryServiceSerializer(serializers.ModelSerializer[Service]):
    id = serializers.UUIDField(source="uuid", read_only=True)
    pathways = _pathways(read_only=True)
    regions: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Region codes (empty: national)."
    )

    class Meta:
        model = Service
        fields = [
            "id",
            "code",
            "name",
            "description",
            "pathways",
            "regions",
            "national",
            "eligible_sex",
            "min_age",
            "max_age",
            "phone",
            "email",
            "website",
            "address",
            "opening_hours",
            "active",
            "updated_at",
        ]
        read_only_fields = fields


class DirectoryServiceInputSerializer(serializers.Serializer[Any]):
    """Types only; the directory's rules (and their messages) are the service's."""

    code = serializers.CharField(allow_blank=True)
    name = serializers.CharField(allow_blank=True)
    description = serializers.CharField(allow_blank=True, required=False, default="")
    pathways = _pathways()
    regions = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        many=True,
        required=False,
        default=list,
        help_text="Region codes; leave empty for a national service.",
    )
    national = serializers.BooleanField(required=False, default=False)
    eligible_sex = serializers.ChoiceField(
        choices=EligibleSex.choices, required=False, default=EligibleSex.ANY
    )
    min_age = serializers.IntegerField(required=False, allow_null=True, default=None)
    max_age = serializers.IntegerField(required=False, allow_null=True, default=None)
    phone = serializers.CharField(allow_blank=True, required=False, default="")
    email = serializers.CharField(allow_blank=True, required=False, default="")
    website = serializers.CharField(allow_blank=True, required=False, default="")
    address = serializers.CharField(allow_blank=True, required=False, default="")
    opening_hours = serializers.CharField(allow_blank=True, required=False, default="")


class DirectoryServiceUpdateInputSerializer(DirectoryServiceInputSerializer):
    active = serializers.BooleanField(help_text="False withdraws it from the directory.")


class DirectoryQuerySerializer(serializers.Serializer[Any]):
    pathway = serializers.ChoiceField(
        choices=Pathway.choices, required=False, help_text="Services on this pathway."
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        help_text="Region code: services there and national services.",
    )
    sex = serializers.ChoiceField(
        choices=[EligibleSex.FEMALE, EligibleSex.MALE],
        required=False,
        help_text="Services open to women (female) or men (male).",
    )
    age = serializers.IntegerField(
        required=False, min_value=0, help_text="Services open to someone of this age."
    )
    q = serializers.CharField(required=False, help_text="Words in the name or description.")
    include_inactive = serializers.BooleanField(
        required=False, default=False, help_text="Include services no longer offered."
    )


class ServiceViewSet(GatedViewSet[Service]):
    """The one-stop directory of services by pathway, area and eligibility."""

    access_policy = {"GET": STAFF, "POST": MANAGERS, "PATCH": MANAGERS}
    serializer_class = DirectoryServiceSerializer
    lookup_url_kwarg = "service_uuid"
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list[Any] = []
    queryset = Service.objects.none()

    def get_queryset(self) -> QuerySet[Service]:
        return directory_search(DirectoryFilter(include_inactive=True))

    def _detail(self, service: Service, *, created: bool = False) -> Response:
        fresh = self.get_queryset().get(pk=service.pk)
        return Response(
            DirectoryServiceSerializer(fresh).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(parameters=[DirectoryQuerySerializer])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = DirectoryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        region: Region | None = params.get("region")
        criteria = DirectoryFilter(
            pathway=params.get("pathway"),
            region_id=region.pk if region is not None else None,
            sex=params.get("sex"),
            age=params.get("age"),
            text=params.get("q", ""),
            include_inactive=params.get("include_inactive", False),
        )
        return self.paginated(directory_search(criteria), DirectoryServiceSerializer)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(DirectoryServiceSerializer(self.gated_object(self.get_queryset())).data)

    @extend_schema(
        request=DirectoryServiceInputSerializer, responses={201: DirectoryServiceSerializer}
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.valid(DirectoryServiceInputSerializer)
        service = services.service_create(actor=self.user, **data)
        return self._detail(service, created=True)

    @extend_schema(
        request=DirectoryServiceUpdateInputSerializer,
        responses={200: DirectoryServiceSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a service; what is not sent stays as it is."""
        service = self.gated_object(self.get_queryset())
        data = self.valid(DirectoryServiceUpdateInputSerializer, partial=True)
        current: dict[str, Any] = {
            "code": service.code,
            "name": service.name,
            "description": service.description,
            "pathways": list(service.pathways),
            "regions": list(service.regions.all()),
            "national": service.national,
            "eligible_sex": service.eligible_sex,
            "min_age": service.min_age,
            "max_age": service.max_age,
            "phone": service.phone,
            "email": service.email,
            "website": service.website,
            "address": service.address,
            "opening_hours": service.opening_hours,
            "active": service.active,
        }
        services.service_update(actor=self.user, service=service, **current | data)
        return self._detail(service)


def register(router: SimpleRouter) -> None:
    """Add this area's viewsets to the /api/v1/ router."""
    router.register("services", ServiceViewSet, basename="service")
