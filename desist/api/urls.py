from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from desist.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register(
    "pseudonymised-participants",
    views.PseudonymisedParticipantViewSet,
    basename="pseudonymised-participant",
)

schema_view = SpectacularAPIView.as_view()
schema_view.access_policy = "signed_in"  # type: ignore[attr-defined]

urlpatterns = [
    path("v1/", include((router.urls, "api"), namespace="v1")),
    path("schema/", schema_view, name="api-schema"),
]
